package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpiredTokenIsRefreshedWithRotation(t *testing.T) {
	t.Parallel()
	// Each renewal must present the newest refresh token, or the
	// sandbox's reuse detection would end the session.
	sb := startSandbox(t, "--token-ttl", "5s")
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	before := u.cacheEntry()
	// A fresh 5 s token is used as it is: the renewal margin scales with
	// the lifetime.
	u.mustRun("messages", "protected")
	if got := sb.grants(t, "refresh_token"); got != 0 {
		t.Fatalf("a fresh 5s token was refreshed %d times", got)
	}
	for i := 1; i <= 3; i++ {
		u.expireToken()
		u.mustRun("messages", "protected")
		if got := sb.grants(t, "refresh_token"); got != i {
			t.Fatalf("after call %d the sandbox saw %d refreshes, want %d", i, got, i)
		}
	}
	after := u.cacheEntry()
	if after["refresh_token"] == before["refresh_token"] || after["access_token"] == before["access_token"] {
		t.Error("the cache still holds the first tokens: rotation was not saved")
	}
	if n := sb.stats(t)["refresh_reuse_detected"].(float64); n != 0 {
		t.Errorf("sandbox detected %v refresh-token reuses", n)
	}
}

func TestValidTokenCostsNoProviderRequest(t *testing.T) {
	t.Parallel()
	full := startSandbox(t)
	// A second sandbox runs the API alone, validating the first one's tokens.
	api := startSandbox(t, "--issuer", full.Issuer, "--audience", "https://hello-world.example.com")
	if api.Issuer != full.Issuer {
		t.Fatalf("API-only sandbox printed HELLO_ISSUER=%s, want %s", api.Issuer, full.Issuer)
	}
	u := newUser(t, full)
	u.login("alice@example.com", "alice-password")
	u.setenv("HELLO_API_URL", api.API)
	u.mustRun("messages", "admin") // the API fetches the JWKS now

	full.stop(t)
	for _, kind := range []string{"protected", "admin"} {
		if got := u.mustRun("messages", kind).Stdout; !strings.Contains(got, "message") {
			t.Errorf("messages %s with the provider stopped = %q", kind, got)
		}
	}
	if r := u.run("--verbose", "messages", "protected"); r.Code != 0 || strings.Contains(r.Stderr, full.Issuer) {
		t.Errorf("verbose run contacted the provider or failed (exit %d):\n%s", r.Code, r.Stderr)
	}
}

func TestLogoutThenNotLoggedIn(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	r := u.mustRun("logout")
	if !strings.Contains(r.Stderr, "Revoked the refresh token") || !strings.Contains(r.Stderr, "/end_session?") {
		t.Errorf("logout stderr:\n%s", r.Stderr)
	}
	if strings.Contains(r.Stderr, "id_token_hint") {
		t.Error("logout printed an ID token")
	}
	for _, args := range [][]string{{"messages", "protected"}, {"token"}, {"profile"}, {"status"}} {
		r := u.run(args...)
		if r.Code != 4 || !strings.Contains(r.Stderr, `not logged in: run "hello login"`) {
			t.Errorf("hello %v after logout: exit %d, stderr %q; want exit 4 and the login hint", args, r.Code, r.Stderr)
		}
	}
	if r := u.mustRun("logout"); !strings.Contains(r.Stderr, "Not logged in") {
		t.Errorf("second logout: %q", r.Stderr)
	}
	if got := u.mustRun("messages", "public").Stdout; got != "This is a public message.\n" {
		t.Errorf("public message after logout = %q", got)
	}
}

func TestSeedConfigFile(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, nil)
	// The seed web app's .config, read unchanged (SECRET_KEY is ignored).
	seed := "[AUTH0]\nCLIENT_ID=seed-client\nCLIENT_SECRET=seed-secret\nDOMAIN=example.eu.auth0.com\nAUDIENCE=https://hello-world.example.com\n[WEBAPP]\nSECRET_KEY=0123abcd\nAPI_SERVER_URL=" + sb.API + "\n"
	u.writeFile(".config", seed)
	var st map[string]any
	r := u.run("status", "-o", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || r.Code != 4 {
		t.Fatalf("status: exit %d, %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
	}
	if st["issuer"] != "https://example.eu.auth0.com/" || st["client_id"] != "seed-client" {
		t.Errorf("status from the seed .config = %v", st)
	}
	if strings.Contains(r.Stdout+r.Stderr, "seed-secret") {
		t.Error("the client secret was printed")
	}
	if got := u.mustRun("messages", "public").Stdout; got != "This is a public message.\n" {
		t.Errorf("messages public with the seed .config = %q", got)
	}

	// The same file pointed at the sandbox with ISSUER: the whole flow works
	// with no environment variable at all.
	u.writeFile(".config", strings.Replace(strings.Replace(seed, "DOMAIN=example.eu.auth0.com", "ISSUER="+sb.Issuer, 1), "seed-client", "hello-cli", 1))
	u.login("alice@example.com", "alice-password")
	if got := u.mustRun("messages", "admin").Stdout; got != "This is an admin message.\n" {
		t.Errorf("messages admin with the seed .config = %q", got)
	}
}

func TestCorruptCacheIsLoggedOut(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	path := u.cachePath()
	if err := os.WriteFile(path, []byte(`{"access_token": tru`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"messages", "protected"}, {"status"}, {"token"}} {
		r := u.run(args...)
		// Reported once: one mention of the file, one line on stderr.
		if r.Code != 4 || strings.Count(r.Stdout+r.Stderr, path) != 1 || !strings.Contains(r.Stderr, "unreadable") ||
			strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || strings.Contains(r.Stderr, "panic") {
			t.Errorf("%v with a corrupt cache: exit %d\nstdout: %s\nstderr: %s", args, r.Code, r.Stdout, r.Stderr)
		}
	}
	u.login("alice@example.com", "alice-password")
	u.mustRun("messages", "protected")
}

func TestCacheFilePermissions(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	path := u.cachePath()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v, want 0700", di.Mode().Perm())
	}
}

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	at := strings.TrimSpace(u.mustRun("token").Stdout)
	if strings.Count(at, ".") != 2 || at != u.cacheEntry()["access_token"] {
		t.Fatalf("hello token printed %q, not the cached JWT", at)
	}
	idt := strings.TrimSpace(u.mustRun("token", "--id-token").Stdout)
	if idt == at || idt != u.cacheEntry()["id_token"] {
		t.Fatal("hello token --id-token did not print the ID token")
	}
	// The token works with any HTTP client, as in the README's curl example.
	req := newRequest(t, sb.API+"/api/messages/admin")
	req.Header.Set("Authorization", "Bearer "+at)
	if body := do(t, req, 200); !strings.Contains(body, "admin message") {
		t.Errorf("admin message with hello token = %s", body)
	}
	// No other command prints a token.
	for _, args := range [][]string{{"status"}, {"status", "-o", "json"}, {"profile"}, {"profile", "-o", "json"}, {"messages", "admin", "--verbose"}} {
		r := u.mustRun(args...)
		if strings.Contains(r.Stdout+r.Stderr, at) || strings.Contains(r.Stdout+r.Stderr, idt) {
			t.Errorf("hello %v printed a token", args)
		}
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	text := u.mustRun("profile").Stdout
	for _, want := range []string{"Alice Example", "alice@example.com (verified)", "sub:"} {
		if !strings.Contains(text, want) {
			t.Errorf("profile lacks %q:\n%s", want, text)
		}
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(u.mustRun("profile", "-o", "json").Stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p["email"] != "alice@example.com" || p["email_verified"] != true || p["sub"] == "" {
		t.Errorf("profile -o json = %v", p)
	}
}
