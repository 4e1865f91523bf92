package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/tokencache"
)

// profilesHarness is a harness whose config file defines profiles a and
// b, b keeping plain files; it returns the profiles' directories.
func profilesHarness(t *testing.T) (h *harness, dirA, dirB string) {
	t.Helper()
	h = newHarness(t)
	ini := "[profile a]\nISSUER=https://a.example.com/\n[profile b]\nISSUER=https://b.example.com/\nTOKEN_STORAGE=file\n"
	if err := os.WriteFile(filepath.Join(h.f.Config.WorkDir, ".config"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	return h, filepath.Join(h.cacheDir, "profiles", "a"), filepath.Join(h.cacheDir, "profiles", "b")
}

// next is a new process for h's user: the same directories, environment
// and keyring, a Factory of its own.
func (h *harness) next(t *testing.T) *harness {
	t.Helper()
	n := newHarness(t)
	n.cacheDir, n.env, n.f.Config, n.f.Keyring = h.cacheDir, h.env, h.f.Config, h.f.Keyring
	return n
}

func TestTokenStorageOfEveryProfile(t *testing.T) {
	t.Parallel()
	h, dirA, dirB := profilesHarness(t)
	kr := &memKeyring{}
	h.f.Keyring = kr
	sealEntryAt(t, h.cacheDir, h.cacheDir, kr, liveEntry())
	sealEntryAt(t, h.cacheDir, dirA, kr, liveEntry())
	if err := tokencache.New(dirB).Save(storageKey, liveEntry()); err != nil {
		t.Fatal(err)
	}
	if kr.len() != 2 {
		t.Fatalf("%d keys, want one for each directory that seals", kr.len())
	}
	before := kr.reads()
	if code := h.run("status", "--all", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	var all []Status
	if err := json.Unmarshal(h.out.Bytes(), &all); err != nil {
		t.Fatalf("%v\n%s", err, h.out)
	}
	got := map[string]Storage{}
	for _, st := range all {
		if st.Storage == nil || !st.Usable {
			t.Fatalf("%s: storage %v, usable %v", st.Profile, st.Storage, st.Usable)
		}
		got[st.Profile] = *st.Storage
	}
	want := map[string]Storage{
		"default": {Kind: "keyring", Keyring: "Test Keyring", Encrypted: true, Mode: "auto"},
		"a":       {Kind: "keyring", Keyring: "Test Keyring", Encrypted: true, Mode: "auto"},
		"b":       {Kind: "file", Mode: "file"},
	}
	for p, w := range want {
		if g := got[p]; g.Kind != w.Kind || g.Keyring != w.Keyring || g.Encrypted != w.Encrypted || g.Mode != w.Mode {
			t.Errorf("profile %s: storage %+v, want %+v", p, g, w)
		}
	}
	// One read per directory that seals: default and a, never b.
	if n := kr.reads() - before; n != 2 || h.err.Len() != 0 {
		t.Errorf("%d keyring reads, stderr %q; want 2 and nothing", n, h.err)
	}

	h = h.next(t)
	if code := h.run("status", "--all"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	for _, re := range []string{`(?m)^PROFILE .*STORED IN\s+USABLE$`, `(?m)^a\s.*\skeyring \(Test Keyring\)\s+yes$`, `(?m)^b\s.*\sfile\s+yes$`} {
		if !regexp.MustCompile(re).MatchString(h.out.String()) {
			t.Errorf("status --all does not match %s:\n%s", re, h.out)
		}
	}

	// A flag given with --all holds for every profile.
	h = h.next(t)
	h.f.Keyring = &memKeyring{err: keystore.ErrNoBus}
	if code := h.run("status", "--all", "-o", "json", "--token-storage", "file"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	if err := json.Unmarshal(h.out.Bytes(), &all); err != nil || len(all) != 3 {
		t.Fatalf("%v\n%s", err, h.out)
	}
	for _, st := range all {
		if st.Storage == nil || st.Storage.Mode != "file" || (st.Profile != "b" && !strings.Contains(st.Problem, "--token-storage file does not read the keyring")) {
			t.Errorf("--token-storage file, profile %s: %+v, problem %q", st.Profile, st.Storage, st.Problem)
		}
	}

	// logout --all removes both keys, each with its directory's last session.
	h = h.next(t)
	h.f.Keyring = kr
	if code := h.run("logout", "--all", "--local"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	if n := strings.Count(h.err.String(), "Removed the token key from the Test Keyring"); n != 2 || kr.len() != 0 {
		t.Errorf("%d keys removed, %d left:\n%s", n, kr.len(), h.err)
	}
}

func TestNoKeyringIsProbedOnceForEveryProfile(t *testing.T) {
	t.Parallel()
	h, dirA, dirB := profilesHarness(t)
	noBus := &memKeyring{err: keystore.ErrNoBus}
	h.f.Keyring = noBus
	for dir, issuer := range map[string]string{h.cacheDir: storageKey.Issuer, dirA: "https://a.example.com/", dirB: "https://b.example.com/"} {
		k := storageKey
		k.Issuer = issuer
		if err := tokencache.New(dir).Save(k, liveEntry()); err != nil {
			t.Fatal(err)
		}
	}
	if code := h.run("status", "--all"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	if noBus.reads() != 1 || strings.Count(h.err.String(), "no OS keyring reachable (no D-Bus session bus)") != 1 {
		t.Errorf("%d probes, stderr %q; want one probe and one notice", noBus.reads(), h.err)
	}
	if _, err := os.Stat(filepath.Join(h.cacheDir, "keyring-unreachable")); err != nil {
		t.Errorf("the failed probe is not remembered for every profile: %v", err)
	}
	// The next command, in any profile, follows it quietly.
	h = h.next(t)
	if code := h.run("--profile", "a", "status"); code != 0 || noBus.reads() != 1 || h.err.Len() != 0 || !strings.Contains(h.out.String(), "file (unencrypted, mode 0600)") {
		t.Errorf("exit %d, %d probes, stderr %q, stdout:\n%s", code, noBus.reads(), h.err, h.out)
	}
}
