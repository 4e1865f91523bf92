package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// withoutEnv drops a variable from the user's environment, so that the
// config file decides.
func (u *user) withoutEnv(name string) {
	u.env = slices.DeleteFunc(u.env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
}

// profileDir is profile p's session directory ("" for the default profile).
func (u *user) profileDir(p string) string {
	if p == "" {
		return u.cacheDir()
	}
	return filepath.Join(u.cacheDir(), "profiles", p)
}

// openProfileEntry reads profile p's one entry with the key of its
// directory, read from the Secret Service over the test's own connection.
func (u *user) openProfileEntry(ss *secretService, p string) token.Token {
	u.t.Helper()
	dir := u.profileDir(p)
	matches, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(matches) != 1 {
		u.t.Fatalf("profile %s: want one entry, found %v", p, matches)
	}
	var f struct {
		Issuer   string `json:"issuer"`
		ClientID string `json:"client_id"`
		Audience string `json:"audience"`
	}
	if err := json.Unmarshal(must(os.ReadFile(matches[0])), &f); err != nil {
		u.t.Fatal(err)
	}
	store := tokencache.New(dir)
	store.Codec = &keystore.Codec{Store: keystore.New(keystore.Config{Mode: keystore.Keyring, Dir: dir, Backend: ss}), Path: store.Path}
	e, err := store.Load(tokencache.Key{Issuer: f.Issuer, ClientID: f.ClientID, Audience: f.Audience})
	if err != nil {
		u.t.Fatalf("profile %s: open the entry with its directory's key: %v", p, err)
	}
	return e.Token
}

// TestKeyringWithTwoProfiles: two profiles against two sandboxes, both
// sealed in the Secret Service under a key each, and a third profile that
// keeps plain files by its own TOKEN_STORAGE; status --all says where each
// session is stored, and logout removes each key with its profile's last
// session.
func TestKeyringWithTwoProfiles(t *testing.T) {
	t.Parallel()
	sbA, sbB := startSandbox(t), startSandbox(t)
	u := newUser(t, nil)
	u.withoutEnv("HELLO_TOKEN_STORAGE")
	ss := startSecretService(t, u.home)
	u.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)
	u.writeFile(".config", "[HELLO]\nTOKEN_STORAGE=auto\n\n"+
		"[profile a]\nISSUER="+sbA.Issuer+"\nAPI_SERVER_URL="+sbA.API+"\n\n"+
		"[profile b]\nISSUER="+sbB.Issuer+"\nAPI_SERVER_URL="+sbB.API+"\n\n"+
		"[profile ci]\nISSUER="+sbA.Issuer+"\nAPI_SERVER_URL="+sbA.API+"\nTOKEN_STORAGE=file\n")
	for p, who := range map[string]string{"a": "bob", "b": "alice", "ci": "bob"} {
		if r := u.login(who+"@example.com", who+"-password", "--profile", p); strings.Contains(r.Stderr, fallbackNotice) {
			t.Fatalf("login --profile %s fell back with a Secret Service running:\n%s", p, r.Stderr)
		}
	}
	if n := len(ss.items(t, "hello")); n != 2 {
		t.Fatalf("the keyring holds %d hello items, want one key for each of profiles a and b", n)
	}

	secrets := map[string]string{}
	for _, p := range []string{"a", "b"} {
		m := profileEntry(t, u, p)
		for _, f := range []string{"access_token", "refresh_token", "id_token"} {
			if v, _ := m[f].(string); !strings.HasPrefix(v, "hello-sealed:v1:") {
				t.Errorf("profile %s: %s is not sealed: %.30q", p, f, v)
			}
		}
		tok := u.openProfileEntry(ss, p)
		secrets[p+" access token"], secrets[p+" refresh token"], secrets[p+" ID token"] = tok.AccessToken, tok.RefreshToken, tok.IDToken
	}
	if v, _ := profileEntry(t, u, "ci")["refresh_token"].(string); v == "" || strings.HasPrefix(v, "hello-sealed:") {
		t.Errorf("profile ci (TOKEN_STORAGE=file) is not plain: %.30q", v)
	}
	noneInClear(t, u.home, secrets)

	for p, want := range map[string]string{"a": "This is a protected message.\n", "b": "This is an admin message.\n"} {
		kind := map[string]string{"a": "protected", "b": "admin"}[p]
		if r := u.mustRun("--profile", p, "messages", kind); r.Stdout != want || r.Stderr != "" {
			t.Errorf("profile %s through the keyring: %q, stderr %q", p, r.Stdout, r.Stderr)
		}
	}

	var all []struct {
		Profile string
		Usable  bool
		Storage struct {
			Kind, Keyring, Mode string
			Encrypted           bool
		}
	}
	if err := json.Unmarshal([]byte(u.mustRun("status", "--all", "-o", "json").Stdout), &all); err != nil || len(all) != 3 {
		t.Fatalf("status --all -o json: %v, %+v", err, all)
	}
	for _, st := range all {
		want := "keyring Secret Service auto true"
		if st.Profile == "ci" {
			want = "file  file false"
		}
		if got := strings.Join([]string{st.Storage.Kind, st.Storage.Keyring, st.Storage.Mode}, " ") + " " + map[bool]string{true: "true", false: "false"}[st.Storage.Encrypted]; got != want || !st.Usable {
			t.Errorf("status --all, profile %s: storage %q, usable %v; want %q", st.Profile, got, st.Usable, want)
		}
	}
	text := u.mustRun("status", "--all").Stdout
	for _, re := range []string{`(?m)^a\s.*\skeyring \(Secret Service\)\s+yes$`, `(?m)^b\s.*\skeyring \(Secret Service\)\s+yes$`, `(?m)^ci\s.*\sfile\s+yes$`} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("status --all does not match %s:\n%s", re, text)
		}
	}

	// Logging out of a removes a's key, and only a's.
	if r := u.mustRun("--profile", "a", "logout", "--local"); !strings.Contains(r.Stderr, "Removed the token key from the Secret Service") {
		t.Errorf("logout --profile a:\n%s", r.Stderr)
	}
	if n := len(ss.items(t, "hello")); n != 1 {
		t.Errorf("after logging out of a: %d hello items, want b's key", n)
	}
	if r := u.mustRun("--profile", "b", "messages", "protected"); r.Stdout != "This is a protected message.\n" {
		t.Errorf("profile b after logging out of a: %q", r.Stdout)
	}

	// logout --all ends b and ci, and removes b's key with b's session.
	r := u.mustRun("logout", "--all", "--local")
	if strings.Count(r.Stderr, "Removed the cached session.") != 2 || strings.Count(r.Stderr, "Removed the token key from the Secret Service") != 1 {
		t.Errorf("logout --all:\n%s", r.Stderr)
	}
	if n := len(ss.items(t, "hello")); n != 0 {
		t.Errorf("the keyring still holds %d hello items after logout --all", n)
	}
}

// TestHungBusIsProbedOnceForEveryProfile: status --all over three
// profiles' sessions meets a hung bus once, not once per profile, and the
// next command of any profile trusts the one remembered answer.
func TestHungBusIsProbedOnceForEveryProfile(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, nil)
	u.writeFile(".config", "[AUTH0]\nISSUER="+sb.Issuer+"\n[WEBAPP]\nAPI_SERVER_URL="+sb.API+"\n\n"+
		"[profile a]\nISSUER="+sb.Issuer+"\nAPI_SERVER_URL="+sb.API+"\n\n"+
		"[profile b]\nISSUER="+sb.Issuer+"\nAPI_SERVER_URL="+sb.API+"\n")
	for _, p := range []string{"default", "a", "b"} {
		u.login("alice@example.com", "alice-password", "--profile", p) // plain files (HELLO_TOKEN_STORAGE=file)
	}
	bus := startSilentBus(t)
	u.withoutEnv("HELLO_TOKEN_STORAGE")
	u.setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)

	r := u.mustRun("status", "--all")
	if strings.Count(r.Stderr, fallbackNotice) != 1 || !strings.Contains(r.Stderr, "the keyring did not answer within 3s") {
		t.Errorf("status --all on a hung bus: want one notice, stderr:\n%s", r.Stderr)
	}
	if n := bus.connections(); n != 1 {
		t.Errorf("status --all over three profiles connected to the hung bus %d times, want 1", n)
	}
	if !regexp.MustCompile(`(?m)^b\s.*\sfile\s+yes$`).MatchString(r.Stdout) {
		t.Errorf("status --all:\n%s", r.Stdout)
	}
	// They follow the remembered choice quietly: it was said once.
	for _, p := range []string{"a", "b"} {
		if r := u.mustRun("--profile", p, "messages", "protected"); r.Stdout != "This is a protected message.\n" || r.Stderr != "" {
			t.Errorf("profile %s after the hang: %q, stderr %q", p, r.Stdout, r.Stderr)
		}
	}
	if n := bus.connections(); n != 1 {
		t.Errorf("later commands connected to the hung bus again: %d connections", n)
	}
}

// TestKeyringItemHintIsOnlyAHint: the file that says where the key's item
// is, copied from another profile, altered or stale, never makes hello use
// another key than its directory's.
func TestKeyringItemHintIsOnlyAHint(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, nil)
	u.withoutEnv("HELLO_TOKEN_STORAGE")
	ss := startSecretService(t, u.home)
	u.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)
	u.writeFile(".config", "[AUTH0]\nISSUER="+sb.Issuer+"\n[WEBAPP]\nAPI_SERVER_URL="+sb.API+"\n\n[profile a]\nISSUER="+sb.Issuer+"\nAPI_SERVER_URL="+sb.API+"\n")
	u.login("alice@example.com", "alice-password")
	u.login("bob@example.com", "bob-password", "--profile", "a")
	hint := func(p string) string { return filepath.Join(u.profileDir(p), "keyring-item") }
	u.mustRun("messages", "protected")
	u.mustRun("--profile", "a", "messages", "protected")
	own := string(must(os.ReadFile(hint("a"))))
	if !strings.HasPrefix(own, "/org/freedesktop/secrets/collection/login/") {
		t.Fatalf("profile a's item hint: %q", own)
	}
	for name, h := range map[string]string{
		"copied from the default profile": string(must(os.ReadFile(hint("")))),
		"altered":                         strings.Fields(string(must(os.ReadFile(hint("")))))[0] + " " + strings.Repeat("0", 32) + "\n",
		"stale":                           "/org/freedesktop/secrets/collection/login/999 " + strings.Repeat("0", 32) + "\n",
		"garbage":                         "\x1b[2J not a path\n",
	} {
		if err := os.WriteFile(hint("a"), []byte(h), 0o600); err != nil {
			t.Fatal(err)
		}
		r := u.run("--profile", "a", "status")
		if r.Code != 0 || !strings.Contains(r.Stdout, "bob@example.com") || !strings.Contains(r.Stdout, "keyring (Secret Service)") {
			t.Errorf("item hint %s: exit %d\n%s%s", name, r.Code, r.Stdout, r.Stderr)
		}
		if got := string(must(os.ReadFile(hint("a")))); got != own {
			t.Errorf("item hint %s was not put right: %q, want %q", name, got, own)
		}
	}
	if tok := u.openProfileEntry(ss, "a"); strings.TrimSpace(u.mustRun("--profile", "a", "token").Stdout) != tok.AccessToken {
		t.Error("profile a's token is not the one sealed under its own key")
	}
	// Logout forgets the hint with the key.
	u.mustRun("--profile", "a", "logout", "--local")
	if _, err := os.Stat(hint("a")); !os.IsNotExist(err) {
		t.Errorf("the item hint outlived the key: %v", err)
	}
}
