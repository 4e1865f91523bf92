package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

const fallbackNotice = "no OS keyring reachable ("

// keyringUser is a user whose hello reaches ss (auto storage, the default).
func keyringUser(t *testing.T, sb *sandbox, ss *secretService) *user {
	t.Helper()
	u := newUser(t, sb)
	u.setenv("HELLO_TOKEN_STORAGE", "auto")
	if ss != nil {
		u.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)
	}
	return u
}

// openEntry reads the user's entry as hello would, opening its sealed
// fields with the key read from the Secret Service over the test's own
// connection.
func (u *user) openEntry(ss *secretService) token.Token {
	u.t.Helper()
	var f struct {
		Issuer   string `json:"issuer"`
		ClientID string `json:"client_id"`
		Audience string `json:"audience"`
	}
	if err := json.Unmarshal(must(os.ReadFile(u.cachePath())), &f); err != nil {
		u.t.Fatal(err)
	}
	dir := filepath.Dir(u.cachePath())
	store := tokencache.New(dir)
	store.Codec = &keystore.Codec{Store: keystore.New(keystore.Config{Mode: keystore.Keyring, Dir: dir, Backend: ss}), Path: store.Path}
	e, err := store.Load(tokencache.Key{Issuer: f.Issuer, ClientID: f.ClientID, Audience: f.Audience})
	if err != nil {
		u.t.Fatalf("open the sealed entry with the keyring's key: %v", err)
	}
	return e.Token
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// noneInClear fails if any file under root holds one of the secrets.
func noneInClear(t *testing.T, root string, secrets map[string]string) {
	t.Helper()
	for name, s := range secrets {
		if len(s) < 16 {
			t.Fatalf("%s %q is too short to look for", name, s)
		}
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds the %s in clear", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no file under %s: nothing was checked", root)
	}
}

func TestKeyringKeepsTokensEncryptedAtRest(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := keyringUser(t, sb, nil)
	ss := startSecretService(t, u.home)
	u.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)

	r := u.login("alice@example.com", "alice-password")
	if strings.Contains(r.Stderr, fallbackNotice) {
		t.Fatalf("login fell back to the file with a Secret Service running:\n%s", r.Stderr)
	}
	if n := len(ss.items(t, "hello")); n != 1 {
		t.Fatalf("the keyring holds %d hello items after login, want the one key", n)
	}
	entry := u.cacheEntry()
	for _, f := range []string{"access_token", "refresh_token", "id_token"} {
		if v, _ := entry[f].(string); !strings.HasPrefix(v, "hello-sealed:v1:") {
			t.Errorf("%s is not sealed in the cache file: %.30q", f, v)
		}
	}
	tok := u.openEntry(ss)
	if access := strings.TrimSpace(u.mustRun("token").Stdout); access != tok.AccessToken {
		t.Fatal("hello token does not print the token sealed in the cache")
	}
	noneInClear(t, u.home, map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken, "ID token": tok.IDToken})

	for _, kind := range []string{"protected", "admin"} {
		r := u.mustRun("messages", kind)
		if !strings.Contains(r.Stdout, "message") || r.Stderr != "" {
			t.Errorf("messages %s through the keyring: %q, stderr %q", kind, r.Stdout, r.Stderr)
		}
	}

	var st struct {
		Storage struct {
			Kind, Keyring, Mode string
			Encrypted           bool
		}
	}
	if err := json.Unmarshal([]byte(u.mustRun("status", "-o", "json").Stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Storage.Kind != "keyring" || st.Storage.Keyring != "Secret Service" || !st.Storage.Encrypted || st.Storage.Mode != "auto" {
		t.Errorf("status -o json storage = %+v", st.Storage)
	}
	if out := u.mustRun("status").Stdout; !strings.Contains(out, "keyring (Secret Service)") {
		t.Errorf("status does not say the keyring keeps the session:\n%s", out)
	}

	// A refresh through the keyring: rotated tokens, sealed again.
	u.expireToken()
	before := sb.grants(t, "refresh_token")
	u.mustRun("messages", "protected")
	if sb.grants(t, "refresh_token") != before+1 {
		t.Fatal("the expired token was not refreshed")
	}
	renewed := u.openEntry(ss)
	if renewed.RefreshToken == tok.RefreshToken || renewed.AccessToken == tok.AccessToken {
		t.Fatal("the cache does not hold the rotated tokens")
	}
	noneInClear(t, u.home, map[string]string{"new access token": renewed.AccessToken, "new refresh token": renewed.RefreshToken, "old refresh token": tok.RefreshToken})

	r = u.mustRun("logout")
	if !strings.Contains(r.Stderr, "Revoked the refresh token") || !strings.Contains(r.Stderr, "Removed the token key from the Secret Service") {
		t.Errorf("logout stderr:\n%s", r.Stderr)
	}
	if n := len(ss.items(t, "hello")); n != 0 {
		t.Errorf("the keyring still holds %d hello items after the last logout", n)
	}
	if r := u.run("messages", "protected"); r.Code != 4 || !strings.Contains(r.Stderr, "not logged in") {
		t.Errorf("after logout: exit %d, %q", r.Code, r.Stderr)
	}
}

func TestPlainEntryIsSealedAtNextSave(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := keyringUser(t, sb, nil)
	ss := startSecretService(t, u.home)
	u.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)

	// A session saved before the keyring was used: plain.
	u.login("alice@example.com", "alice-password", "--token-storage", "file")
	plain := u.cacheEntry()
	if v, _ := plain["refresh_token"].(string); v == "" || strings.HasPrefix(v, "hello-sealed:") {
		t.Fatalf("--token-storage file saved %.30q", v)
	}
	if len(ss.items(t, "hello")) != 0 {
		t.Fatal("--token-storage file touched the keyring")
	}

	// It keeps working with the keyring in use, and says it is not sealed yet.
	if r := u.mustRun("messages", "protected"); r.Stderr != "" {
		t.Errorf("plain entry with a keyring: stderr %q", r.Stderr)
	}
	if out := u.mustRun("status").Stdout; !strings.Contains(out, "encrypted at the next save") {
		t.Errorf("status of a plain entry with a keyring:\n%s", out)
	}
	// The next save (a refresh) seals it.
	u.expireToken()
	u.mustRun("messages", "protected")
	sealed := u.cacheEntry()
	if v, _ := sealed["refresh_token"].(string); !strings.HasPrefix(v, "hello-sealed:v1:") {
		t.Fatalf("the refresh left the entry plain: %.30q", v)
	}
	tok := u.openEntry(ss)
	noneInClear(t, u.home, map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken})

	// Read with --token-storage file, a sealed entry says what to do.
	for _, args := range [][]string{{"messages", "protected"}, {"status"}} {
		r := u.run(append(args, "--token-storage", "file")...)
		if r.Code != 4 || !strings.Contains(r.Stdout+r.Stderr, "--token-storage file does not read the keyring: use --token-storage auto") {
			t.Errorf("%v --token-storage file on a sealed entry: exit %d\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		}
	}
	// Logging out with file storage leaves the keyring alone; with the
	// keyring back, the key goes once no entry uses it.
	u.mustRun("logout", "--local", "--token-storage", "file")
	if len(ss.items(t, "hello")) != 1 {
		t.Error("--token-storage file removed the key")
	}
}

func TestNoBusFallsBackWithOneNotice(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		// D-Bus would find this desktop's bus without the environment, and
		// the test would use the developer's own keyring.
		t.Skip("this machine has a session bus at /run/user/UID/bus")
	}
	sb := startSandbox(t)
	u := keyringUser(t, sb, nil) // no DBUS_SESSION_BUS_ADDRESS
	r := u.login("alice@example.com", "alice-password")
	want := "no OS keyring reachable (no D-Bus session bus): tokens are stored unencrypted in " + u.cachePath() + ", mode 0600; set HELLO_TOKEN_STORAGE=file to silence this\n"
	if strings.Count(r.Stderr, fallbackNotice) != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("login stderr:\n%s\nwant exactly one notice:\n%s", r.Stderr, want)
	}
	// The choice was said once, by the login that made it; the commands
	// that follow it say nothing, and status still shows where tokens are.
	notices := strings.Count(r.Stderr, fallbackNotice)
	for _, args := range [][]string{{"messages", "protected"}, {"token"}, {"status"}} {
		r := u.mustRun(args...)
		notices += strings.Count(r.Stderr, fallbackNotice)
		if args[0] == "status" && !strings.Contains(r.Stdout, "file (unencrypted, mode 0600)") {
			t.Errorf("status does not say where the tokens are:\n%s", r.Stdout)
		}
	}
	if notices != 1 {
		t.Errorf("%d notices over login, messages, token and status; want exactly one", notices)
	}
	// Once the remembered choice is gone (it expires after an hour), the
	// next command chooses anew, and says so again, once.
	if err := os.Remove(filepath.Join(u.cacheDir(), "keyring-unreachable")); err != nil {
		t.Fatal(err)
	}
	if r := u.mustRun("messages", "protected"); strings.Count(r.Stderr, fallbackNotice) != 1 || !strings.Contains(r.Stderr, want) {
		t.Errorf("after the remembered choice expired: want the notice once, stderr:\n%s", r.Stderr)
	}
	if r := u.mustRun("messages", "protected"); r.Stderr != "" {
		t.Errorf("the next command repeated the notice: %q", r.Stderr)
	}
	var st struct {
		Storage struct{ Kind, Fallback string }
	}
	if err := json.Unmarshal([]byte(u.mustRun("status", "-o", "json").Stdout), &st); err != nil || st.Storage.Kind != "file" || st.Storage.Fallback != "no D-Bus session bus" {
		t.Errorf("status -o json storage = %+v (%v)", st.Storage, err)
	}
	// Plain, as the notice says.
	if v, _ := u.cacheEntry()["refresh_token"].(string); v == "" || strings.HasPrefix(v, "hello-sealed:") {
		t.Errorf("the fallback entry is not plain: %.30q", v)
	}
	if r := u.mustRun("messages", "protected", "--token-storage", "file"); r.Stderr != "" {
		t.Errorf("--token-storage file still warns: %q", r.Stderr)
	}
	r = u.run("messages", "protected", "--token-storage", "keyring")
	if r.Code != 1 || !strings.Contains(r.Stderr, "no OS keyring reachable (no D-Bus session bus): --token-storage keyring does not fall back") || r.Stdout != "" {
		t.Errorf("--token-storage keyring without a bus: exit %d, %q", r.Code, r.Stderr)
	}
}

// silentBus is a unix socket that accepts connections and never answers,
// as a wedged D-Bus daemon does.
type silentBus struct {
	Addr     string
	mu       sync.Mutex
	accepted int
}

func startSilentBus(t *testing.T) *silentBus {
	t.Helper()
	dir, err := os.MkdirTemp("", "hello-hung-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	b := &silentBus{Addr: "unix:path=" + path}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.accepted++
			conns = append(conns, c)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return b
}

func (b *silentBus) connections() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted
}

func TestHungBusCostsOneBound(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	bus := startSilentBus(t)
	u := keyringUser(t, sb, nil)
	u.setenv("DBUS_SESSION_BUS_ADDRESS", bus.Addr)

	// The first command meets the hung bus, gives up after the probe's
	// bound, and saves the session in the plain file, saying why.
	r := u.login("alice@example.com", "alice-password")
	if strings.Count(r.Stderr, fallbackNotice) != 1 || !strings.Contains(r.Stderr, "no OS keyring reachable (the keyring did not answer within 3s)") {
		t.Fatalf("login on a hung bus:\n%s", r.Stderr)
	}
	if bus.connections() == 0 {
		t.Fatal("hello never reached the bus: the test tested nothing")
	}
	seen := bus.connections()

	// Later commands trust the remembered answer: they do not touch the
	// bus at all, nor repeat the notice, and status still says where the
	// tokens are.
	for range 3 {
		r := u.mustRun("messages", "protected")
		if r.Stdout != "This is a protected message.\n" || r.Stderr != "" {
			t.Errorf("messages protected after the hang: %q, stderr %q", r.Stdout, r.Stderr)
		}
	}
	if r := u.mustRun("status"); !strings.Contains(r.Stdout, "file (unencrypted, mode 0600)") || r.Stderr != "" {
		t.Errorf("status after the hang:\n%s%s", r.Stdout, r.Stderr)
	}
	if bus.connections() != seen {
		t.Errorf("later commands connected to the hung bus again (%d connections, want %d)", bus.connections(), seen)
	}

	// Keyring storage probes anew, and fails within its bound instead of
	// hanging.
	r = u.run("status", "--token-storage", "keyring")
	if r.Code != 1 || !strings.Contains(r.Stderr, "did not answer within 3s): --token-storage keyring does not fall back") {
		t.Errorf("status --token-storage keyring on a hung bus: exit %d, %q", r.Code, r.Stderr)
	}
}

func TestLockedKeyringNeitherHangsNorLosesTheSession(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := keyringUser(t, sb, nil)
	ss := startSecretService(t, u.home)
	u.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)
	u.login("alice@example.com", "alice-password")

	// Locked, with no one to type the password: hello says so and what to
	// do, at once, and leaves the session as it is.
	ss.lock(t)
	before := must(os.ReadFile(u.cachePath()))
	for range 2 {
		r := u.run("messages", "protected")
		if r.Code != 4 || !strings.Contains(r.Stderr, "cannot be read here (the keyring is locked)") || r.Stdout != "" {
			t.Fatalf("messages protected with the keyring locked: exit %d, stderr %q", r.Code, r.Stderr)
		}
	}
	if r := u.run("status", "--token-storage", "keyring"); r.Code != 1 || !strings.Contains(r.Stderr, "no OS keyring reachable (the keyring is locked)") {
		t.Errorf("keyring storage with the keyring locked: exit %d, %q", r.Code, r.Stderr)
	}
	if !bytes.Equal(must(os.ReadFile(u.cachePath())), before) {
		t.Fatal("the locked keyring changed the cached session")
	}

	// Unlocked again (a new desktop login): the same session works at
	// once, although the failed probe was remembered.
	ss.restartKeyring(t)
	if r := u.mustRun("messages", "protected"); r.Stdout != "This is a protected message.\n" || r.Stderr != "" {
		t.Errorf("after unlocking: %q, stderr %q", r.Stdout, r.Stderr)
	}
}
