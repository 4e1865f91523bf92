package keystore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/internal/seal"
)

var ctx = context.Background()

// tokens is an entry's three token fields.
type tokens struct{ access, refresh, id string }

func (tk *tokens) fields() []Field {
	return []Field{{"access_token", &tk.access}, {"refresh_token", &tk.refresh}, {"id_token", &tk.id}}
}

func entryIn(dir string) Entry {
	return Entry{Path: filepath.Join(dir, "abc.json"), Issuer: "http://127.0.0.1:5055", ClientID: "hello-cli", Audience: "https://hello-world.example.com"}
}

var plain = tokens{"eyJhbGciOiJSUzI1NiJ9.access.sig", "refresh-8c1f", "eyJhbGciOiJSUzI1NiJ9.id.sig"}

// sealIn seals plain tokens with a fresh Store (a process) and writes them
// where the entry lives, as the token cache would.
func sealIn(t *testing.T, cfg Config) tokens {
	t.Helper()
	tk := plain
	loc, err := New(cfg).Seal(ctx, entryIn(cfg.Dir), tk.fields()...)
	if err != nil || !loc.Keyring {
		t.Fatalf("Seal = %v, %v; want the keyring", loc, err)
	}
	if err := os.WriteFile(entryIn(cfg.Dir).Path, []byte(fmt.Sprintf("%q %q %q", tk.access, tk.refresh, tk.id)), 0o600); err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSealedTokensOpenInTheNextProcess(t *testing.T) {
	t.Parallel()
	mock := newMock()
	cfg, notices := config(t, Auto, mock)
	tk := sealIn(t, cfg)
	for _, v := range []string{tk.access, tk.refresh, tk.id} {
		if !seal.IsSealed(v) || strings.Contains(v, "refresh-8c1f") || strings.Contains(v, ".sig") {
			t.Fatalf("sealed value %q is not sealed or shows the token", v)
		}
	}
	if mock.n("set") != 1 {
		t.Errorf("first seal stored %d keys, want 1", mock.n("set"))
	}

	s := New(cfg)
	loc, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...)
	if err != nil || tk != plain {
		t.Fatalf("Open = %+v, %v; want the plain tokens", tk, err)
	}
	if !loc.Keyring || loc.String() != "keyring (Secret Service)" {
		t.Errorf("location = %q, want keyring (Secret Service)", loc)
	}
	if notices.Len() != 0 {
		t.Errorf("notice with a keyring: %q", notices)
	}
}

func TestKeyringIsReadOncePerProcess(t *testing.T) {
	t.Parallel()
	mock := newMock()
	cfg, _ := config(t, Keyring, mock)
	sealed := sealIn(t, cfg)
	before := mock.n("get")
	s := New(cfg)
	for range 5 {
		tk := sealed
		if _, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || tk != plain {
			t.Fatalf("Open = %+v, %v", tk, err)
		}
		again := plain
		if _, err := s.Seal(ctx, entryIn(cfg.Dir), again.fields()...); err != nil {
			t.Fatal(err)
		}
	}
	if got := mock.n("get") - before; got != 1 {
		t.Errorf("5 opens and 5 seals read the keyring %d times, want 1", got)
	}
	if mock.n("set") != 1 {
		t.Errorf("the key was stored %d times, want once", mock.n("set"))
	}
}

func TestFileModeNeverTouchesTheKeyring(t *testing.T) {
	t.Parallel()
	sealedCfg, _ := config(t, Auto, newMock())
	sealed := sealIn(t, sealedCfg)

	cfg, notices := config(t, File, untouchable(t))
	cfg.Dir = sealedCfg.Dir
	s := New(cfg)
	tk := plain
	if loc, err := s.Seal(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || loc.Keyring || tk != plain {
		t.Fatalf("file mode Seal = %v, %v, %+v; want plain tokens in the file", loc, err, tk)
	}
	if loc, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || loc.String() != "file (unencrypted, mode 0600)" {
		t.Fatalf("file mode Open of a plain entry = %v, %v", loc, err)
	}

	tk = sealed
	_, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...)
	var se *SealedError
	if !errors.As(err, &se) || !errors.Is(err, ErrUnreadable) || !errors.Is(err, ErrFileMode) || tk != sealed {
		t.Fatalf("file mode Open of a sealed entry = %v (fields changed: %v); want a SealedError", err, tk != sealed)
	}
	if msg := err.Error(); !strings.Contains(msg, "--token-storage auto") || !strings.Contains(msg, `"hello login"`) {
		t.Errorf("message does not say what to do: %s", msg)
	}
	if removed, err := s.ForgetKeyIfUnused(ctx); removed || err != nil {
		t.Errorf("file mode ForgetKeyIfUnused = %v, %v", removed, err)
	}
	if notices.Len() != 0 {
		t.Errorf("file mode printed a notice: %q", notices)
	}
}

func TestAutoFallsBackWithExactlyOneNotice(t *testing.T) {
	t.Parallel()
	noService := &brokenKeyring{t: t, err: errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")}
	cfg, notices := config(t, Auto, noService)
	s := New(cfg)
	e := entryIn(cfg.Dir)
	for range 3 {
		tk := plain
		loc, err := s.Seal(ctx, e, tk.fields()...)
		if err != nil || loc.Keyring || tk != plain {
			t.Fatalf("Seal = %v, %v; want a plain fallback", loc, err)
		}
		if _, err := s.Open(ctx, e, tk.fields()...); err != nil || tk != plain {
			t.Fatalf("Open = %v", err)
		}
	}
	want := "no OS keyring reachable (no Secret Service on the session bus): tokens are stored unencrypted in " + e.Path + ", mode 0600; set HELLO_TOKEN_STORAGE=file to silence this\n"
	if notices.String() != want {
		t.Errorf("notices:\n%q\nwant exactly one:\n%q", notices, want)
	}
	if noService.n() != 1 {
		t.Errorf("the keyring was probed %d times in one process, want 1", noService.n())
	}
}

func TestFailedProbeIsRemembered(t *testing.T) {
	t.Parallel()
	noBus := &brokenKeyring{t: t, err: ErrNoBus}
	cfg, _ := config(t, Auto, noBus)
	clock := cfg.Clock.(*fakeClock)
	run := func() (Location, string) {
		var notices strings.Builder
		c := cfg
		c.Notices = &notices
		tk := plain
		loc, err := New(c).Open(ctx, entryIn(cfg.Dir), tk.fields()...)
		if err != nil {
			t.Fatal(err)
		}
		return loc, notices.String()
	}

	loc, notice := run()
	if loc.Fallback != "no D-Bus session bus" || strings.Count(notice, "no OS keyring reachable (no D-Bus session bus)") != 1 {
		t.Fatalf("first process: %+v, notice %q", loc, notice)
	}
	fi, err := os.Stat(filepath.Join(cfg.Dir, memoFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("memo: %v, %v", fi, err)
	}
	clock.Advance(DefaultMemoTTL - time.Minute)
	// A process within the memo's lifetime follows the remembered choice
	// quietly: the notice was given when it was made.
	loc, notice = run()
	if noBus.n() != 1 || loc.Fallback != "no D-Bus session bus" || notice != "" {
		t.Errorf("a process within the memo's lifetime probed again (%d probes) or repeated the notice: %+v %q", noBus.n(), loc, notice)
	}
	// Expired, the choice is made anew, and said again.
	clock.Advance(2 * time.Minute)
	if _, notice = run(); noBus.n() != 2 || strings.Count(notice, "no OS keyring reachable") != 1 {
		t.Errorf("after the memo expired: %d probes, notice %q; want 2 and the notice", noBus.n(), notice)
	}

	// Another bus (a desktop terminal after an SSH session) is asked anew.
	cfg.Getenv = env{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/other"}.lookup
	if _, notice = run(); noBus.n() != 3 || strings.Count(notice, "no OS keyring reachable") != 1 {
		t.Errorf("with another bus: %d probes, notice %q; want 3 and the notice", noBus.n(), notice)
	}

	// Keyring mode ignores the memo, and a keyring that answers clears it.
	cfg.Mode, cfg.Backend = Keyring, newMock()
	if loc, err := New(cfg).Resolve(ctx); err != nil || !loc.Keyring {
		t.Fatalf("keyring mode = %v, %v", loc, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, memoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("memo kept after the keyring answered: %v", err)
	}
}

func TestHungKeyringCostsOneBound(t *testing.T) {
	t.Parallel()
	hung := newHung(t)
	cfg, notices := config(t, Auto, hung)
	clock := cfg.Clock.(*fakeClock)
	s := New(cfg)
	type result struct {
		loc Location
		err error
	}
	done := make(chan result, 1)
	go func() {
		tk := plain
		loc, err := s.Seal(ctx, entryIn(cfg.Dir), tk.fields()...)
		done <- result{loc, err}
	}()
	<-hung.entered
	if d := <-clock.armed; d != 3*time.Second {
		t.Fatalf("the keyring call is bounded by %s, want 3s", d)
	}
	clock.Advance(3 * time.Second)
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Seal did not return once the bound passed")
	}
	if r.err != nil || r.loc.Keyring || r.loc.Fallback != "the keyring did not answer within 3s" {
		t.Fatalf("Seal = %+v, %v; want the file fallback", r.loc, r.err)
	}
	if !strings.Contains(notices.String(), "no OS keyring reachable (the keyring did not answer within 3s)") {
		t.Errorf("notice = %q", notices)
	}
	// Later calls of this process fail at once instead of queueing behind
	// the abandoned one, and later processes trust the memo.
	again := make(chan error, 1)
	go func() { _, err := s.kr.get(ctx, service, "x"); again <- err }()
	select {
	case err := <-again:
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("call after a hang = %v, want ErrTimeout", err)
		}
	case <-hung.entered:
		t.Fatal("a call after the hang queued behind the hung keyring")
	}
	if _, err := New(cfg).Resolve(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hung.entered:
		t.Error("the next process called the hung keyring again")
	default:
	}
}

func TestKeyringModeFailsRatherThanFallBack(t *testing.T) {
	t.Parallel()
	for name, b := range map[string]Backend{
		"no bus": &brokenKeyring{t: t, err: ErrNoBus},
		"hung":   newHung(t),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, notices := config(t, Keyring, b)
			clock := cfg.Clock.(*fakeClock)
			if h, ok := b.(*hungKeyring); ok {
				go func() { <-h.entered; <-clock.armed; clock.Advance(3 * time.Second) }()
			}
			tk := plain
			_, err := New(cfg).Seal(ctx, entryIn(cfg.Dir), tk.fields()...)
			var ue *UnavailableError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "does not fall back") || tk != plain {
				t.Fatalf("Seal = %v; want an UnavailableError and unchanged fields", err)
			}
			if notices.Len() != 0 {
				t.Errorf("keyring mode printed the fallback notice: %q", notices)
			}
			if _, err := os.Stat(filepath.Join(cfg.Dir, memoFile)); err == nil {
				t.Error("keyring mode left a memo that auto mode would trust")
			}
		})
	}
}

func TestUnopenableEntriesAreLoggedOut(t *testing.T) {
	t.Parallel()
	cfg, _ := config(t, Auto, newMock())
	sealed := sealIn(t, cfg)
	account := New(cfg).keyAccount()

	t.Run("copied into another entry", func(t *testing.T) {
		other := entryIn(cfg.Dir)
		other.Audience = "https://other.example.com"
		tk := sealed
		_, err := New(cfg).Open(ctx, other, tk.fields()...)
		if !errors.Is(err, ErrUnreadable) || !errors.Is(err, seal.ErrTampered) || tk != sealed {
			t.Errorf("Open under another identity = %v", err)
		}
	})
	t.Run("moved to another field", func(t *testing.T) {
		tk := sealed
		tk.access, tk.refresh = tk.refresh, tk.access
		_, err := New(cfg).Open(ctx, entryIn(cfg.Dir), tk.fields()...)
		if !errors.Is(err, seal.ErrTampered) {
			t.Errorf("Open with swapped fields = %v", err)
		}
	})
	t.Run("auto mode without a keyring", func(t *testing.T) {
		c := cfg
		c.Backend = &brokenKeyring{t: t, err: ErrNoBus}
		c.Dir = t.TempDir() // its own memo
		tk := sealed
		_, err := New(c).Open(ctx, entryIn(cfg.Dir), tk.fields()...)
		if !errors.Is(err, ErrKeyringUnreachable) || !strings.Contains(err.Error(), "which cannot be read here (no D-Bus session bus)") {
			t.Errorf("Open without a keyring = %v", err)
		}
	})

	// These change the keyring item, so they run last and in order.
	t.Run("key replaced", func(t *testing.T) {
		k, _ := seal.NewKey()
		mockMu.Lock()
		_ = gokeyring.Set(service, account, k.Encode())
		mockMu.Unlock()
		tk := sealed
		_, err := New(cfg).Open(ctx, entryIn(cfg.Dir), tk.fields()...)
		if !errors.Is(err, ErrUnreadable) || !errors.Is(err, seal.ErrWrongKey) || !strings.Contains(err.Error(), "key was replaced") {
			t.Errorf("Open after the key was replaced = %v", err)
		}
	})
	t.Run("key not a key", func(t *testing.T) {
		mockMu.Lock()
		_ = gokeyring.Set(service, account, "hunter2")
		mockMu.Unlock()
		tk := sealed
		_, err := New(cfg).Open(ctx, entryIn(cfg.Dir), tk.fields()...)
		if !errors.Is(err, ErrKeyUnusable) {
			t.Errorf("Open with a garbage key = %v", err)
		}
	})
	t.Run("key deleted", func(t *testing.T) {
		mockMu.Lock()
		_ = gokeyring.Delete(service, account)
		mockMu.Unlock()
		tk := sealed
		_, err := New(cfg).Open(ctx, entryIn(cfg.Dir), tk.fields()...)
		if !errors.Is(err, ErrUnreadable) || !errors.Is(err, ErrKeyMissing) || !strings.Contains(err.Error(), `no longer in the Secret Service: run "hello login"`) {
			t.Errorf("Open after the key was deleted = %v", err)
		}
		// A new login seals under a new key, and works.
		again := sealIn(t, cfg)
		if _, err := New(cfg).Open(ctx, entryIn(cfg.Dir), again.fields()...); err != nil || again != plain {
			t.Errorf("after a new login: %v", err)
		}
	})
}

func TestPlainEntryStillWorksAndIsSealedAtNextSave(t *testing.T) {
	t.Parallel()
	cfg, notices := config(t, Auto, newMock())
	s := New(cfg)
	tk := plain
	if _, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || tk != plain {
		t.Fatalf("Open of a plain entry = %v", err)
	}
	if _, err := s.Seal(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || !seal.IsSealed(tk.refresh) {
		t.Fatalf("the next save left the entry plain: %v", err)
	}
	if notices.Len() != 0 {
		t.Errorf("notice: %q", notices)
	}
}

func TestForgetKeyOnlyWhenNoEntryUsesIt(t *testing.T) {
	t.Parallel()
	mock := newMock()
	cfg, _ := config(t, Auto, mock)
	sealIn(t, cfg) // abc.json
	s := New(cfg)
	second := entryIn(cfg.Dir)
	second.Path, second.Audience = filepath.Join(cfg.Dir, "def.json"), "https://other.example.com"
	tk := plain
	if _, err := s.Seal(ctx, second, tk.fields()...); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second.Path, []byte(tk.refresh), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(entryIn(cfg.Dir).Path); err != nil {
		t.Fatal(err)
	}
	if removed, err := New(cfg).ForgetKeyIfUnused(ctx); removed || err != nil {
		t.Fatalf("ForgetKeyIfUnused with def.json still sealed = %v, %v", removed, err)
	}
	if err := os.Remove(second.Path); err != nil {
		t.Fatal(err)
	}
	if removed, err := New(cfg).ForgetKeyIfUnused(ctx); !removed || err != nil {
		t.Fatalf("ForgetKeyIfUnused with no entry left = %v, %v", removed, err)
	}
	mockMu.Lock()
	_, err := gokeyring.Get(service, s.keyAccount())
	mockMu.Unlock()
	if !errors.Is(err, gokeyring.ErrNotFound) {
		t.Errorf("the key is still in the keyring: %v", err)
	}
	if removed, err := New(cfg).ForgetKeyIfUnused(ctx); removed || err != nil {
		t.Errorf("second ForgetKeyIfUnused = %v, %v; want nothing to do", removed, err)
	}
}

func TestFirstSealsAtOnceShareOneKey(t *testing.T) {
	t.Parallel()
	cfg, _ := config(t, Auto, newMock())
	const n = 8
	sealed := make([]tokens, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tk := plain
			if _, err := New(cfg).Seal(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil {
				t.Error(err)
			}
			sealed[i] = tk
		})
	}
	wg.Wait()
	for i, tk := range sealed {
		if _, err := New(cfg).Open(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || tk != plain {
			t.Errorf("process %d sealed with a key the keyring no longer holds: %v", i, err)
		}
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Mode{"": Auto, "auto": Auto, "KEYRING": Keyring, " file ": File} {
		if got, err := ParseMode(in); got != want || err != nil {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("vault"); err == nil || !strings.Contains(err.Error(), "auto, keyring or file") {
		t.Errorf("ParseMode(vault) = %v", err)
	}
}

func TestReasonsAreOneSafeLine(t *testing.T) {
	t.Parallel()
	got := describe(errors.New("evil\x1b[31m\nline"+strings.Repeat("x", 300)), time.Second)
	if strings.ContainsAny(got, "\x1b\n") || len([]rune(got)) > 120 {
		t.Errorf("describe = %q", got)
	}
}

func TestSystemSaysNoBusWithoutAsking(t *testing.T) {
	t.Parallel()
	if (System{}).Name() != "Secret Service" {
		t.Skip("the D-Bus check applies where the keyring is the Secret Service")
	}
	if userBusExists() {
		t.Skip("this machine has a session bus where D-Bus finds it without the environment")
	}
	empty := env{}
	if _, err := (System{Getenv: empty.lookup}).Get(service, "x"); !errors.Is(err, ErrNoBus) {
		t.Errorf("Get with no bus = %v, want ErrNoBus", err)
	}
}

func TestSealedEntryAsksTheKeyringDespiteTheMemo(t *testing.T) {
	t.Parallel()
	mock := newMock()
	cfg, _ := config(t, Auto, mock)
	sealed := sealIn(t, cfg)
	// A probe failed a minute ago (the keyring was locked, or restarting).
	locked := cfg
	locked.Backend = &brokenKeyring{t: t, err: errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'")}
	if loc, _ := New(locked).Resolve(ctx); loc.Fallback != "the keyring is locked" {
		t.Fatalf("fallback = %q", loc.Fallback)
	}
	cfg.Clock.(*fakeClock).Advance(time.Minute)

	// A plain entry trusts the memo; a sealed one asks again, and opens.
	s := New(cfg)
	before := mock.n("get")
	tk := plain
	if loc, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || loc.Keyring || mock.n("get") != before {
		t.Fatalf("plain entry: %+v, %v, %d reads", loc, err, mock.n("get")-before)
	}
	tk = sealed
	if loc, err := s.Open(ctx, entryIn(cfg.Dir), tk.fields()...); err != nil || !loc.Keyring || tk != plain {
		t.Fatalf("sealed entry after the keyring came back: %+v, %v", loc, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, memoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("the memo outlived the keyring's answer")
	}
}
