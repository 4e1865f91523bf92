package e2e

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The session core's edges: another writer's rotation, a save that fails
// after the refresh, a machine session without its secret, a 401 without a
// token, and an ID token that cannot be renewed.

// tokenEndpoint is the sandbox's token endpoint and its path.
func tokenEndpoint(t *testing.T, sb *sandbox) (string, string) {
	t.Helper()
	return discovered(t, sb, "token_endpoint")
}

// discovered is the URL the sandbox's discovery document gives for field,
// and its path.
func discovered(t *testing.T, sb *sandbox, field string) (string, string) {
	t.Helper()
	var doc map[string]any
	getJSON(t, sb.Issuer+"/.well-known/openid-configuration", &doc)
	v, _ := doc[field].(string)
	u, err := url.Parse(v)
	if err != nil || v == "" {
		t.Fatalf("discovery %s %q: %v", field, v, err)
	}
	return v, u.Path
}

// refreshAt redeems rt at the token endpoint, as another program would.
func refreshAt(t *testing.T, endpoint, rt string) map[string]any {
	t.Helper()
	resp, err := http.PostForm(endpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"hello-cli"}})
	if err != nil {
		t.Error(err)
		return nil
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Errorf("refresh by the other writer: %d %v %v", resp.StatusCode, out, err)
	}
	return out
}

// writeEntry writes the cache entry base at path with its token fields set.
func writeEntry(t *testing.T, path string, base []byte, issuer string, tok map[string]any) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(base, &e); err != nil {
		t.Fatal(err)
	}
	e["issuer"] = issuer
	for k, v := range tok {
		e["token"].(map[string]any)[k] = v
	}
	b, _ := json.Marshal(e)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Error(err)
	}
}

// withIssuer is u with HELLO_ISSUER replaced.
func withIssuer(u *user, issuer string) *user {
	v := *u
	v.env = append(append([]string(nil), u.env...), "HELLO_ISSUER="+issuer)
	return &v
}

func TestInvalidGrantAfterAnotherWriterRotatedAnExpiredToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// revokeFamily forwards hello's reused refresh token to the
		// sandbox, which revokes the whole login as Auth0 does; otherwise
		// the provider refuses only the spent token.
		revokeFamily bool
	}{{"provider refuses the spent token", false}, {"provider revokes the login on reuse", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			u := newUser(t, sb)
			u.login("alice@example.com", "alice-password")
			base := u.cacheBytes()
			endpoint, tokenPath := tokenEndpoint(t, sb)
			rt := u.cacheEntry()["refresh_token"].(string)
			var path, issuer string
			var tokenRequests atomic.Int32
			front := failingProvider(t, sb, func(p string) (int, string, http.Header) {
				if p != tokenPath || tokenRequests.Add(1) != 1 {
					return 0, "", nil
				}
				// While hello's refresh is in flight, a writer that ignores
				// the lock rotates the same refresh token and saves its
				// entry, whose access token has expired since.
				other := refreshAt(t, endpoint, rt)
				writeEntry(t, path, base, issuer, map[string]any{
					"access_token": other["access_token"], "refresh_token": other["refresh_token"],
					"expiry": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
				})
				if tc.revokeFamily {
					return 0, "", nil
				}
				return 400, `{"error":"invalid_grant","error_description":"the refresh token was used already"}`, nil
			})
			issuer = front.URL
			path = u.copySession(base, front.URL)
			v := withIssuer(u, front.URL)

			r := v.run("messages", "protected")
			if n := tokenRequests.Load(); n != 2 {
				t.Errorf("hello made %d token requests, want 2: the refused one, then one from the other writer's refresh token", n)
			}
			if tc.revokeFamily {
				// Refused again: now the entry's own token was refused.
				if r.Code != 4 || !strings.Contains(r.Stderr, revokedMsg) {
					t.Errorf("exit %d, stderr %q; want 4 and %q", r.Code, r.Stderr, revokedMsg)
				}
				return
			}
			if r.Code != 0 || r.Stdout != "This is a protected message.\n" {
				t.Fatalf("exit %d\n%s%s; want the message through the other writer's session", r.Code, r.Stdout, r.Stderr)
			}
			if r := v.mustRun("status"); !strings.Contains(r.Stdout, "alice@example.com") {
				t.Errorf("status after the renewal:\n%s", r.Stdout)
			}
			if b, _ := os.ReadFile(path); strings.Contains(string(b), `"dead"`) {
				t.Errorf("the other writer's session was marked dead: %s", b)
			}
		})
	}
}

func TestRenewalThatCannotBeSavedIsUsedWithAWarning(t *testing.T) {
	t.Parallel()
	requireChattr(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	base := u.cacheBytes()
	_, tokenPath := tokenEndpoint(t, sb)
	dir := u.cacheDir()
	t.Cleanup(func() { _ = chattr(dir, "-i") })
	var blocked atomic.Bool
	front := failingProvider(t, sb, func(p string) (int, string, http.Header) {
		// hello has prepared its save; the directory turns read-only
		// while the provider rotates the refresh token.
		if p == tokenPath && !blocked.Swap(true) {
			if err := chattr(dir, "+i"); err != nil {
				t.Error(err)
			}
		}
		return 0, "", nil
	})
	path := u.copySession(base, front.URL)
	v := withIssuer(u, front.URL)
	before, _ := os.ReadFile(path)

	r := v.run("messages", "protected")
	if err := chattr(dir, "-i"); err != nil {
		t.Skip(err)
	}
	if !blocked.Load() {
		t.Fatal("no refresh reached the provider")
	}
	if r.Code != 0 || r.Stdout != "This is a protected message.\n" {
		t.Fatalf("exit %d\n%s%s; want the renewed token used for this run", r.Code, r.Stdout, r.Stderr)
	}
	warn := strings.TrimSpace(r.Stderr)
	if !strings.HasPrefix(warn, "warning: ") || strings.Contains(warn, "\n") || !strings.Contains(warn, dir) ||
		!strings.Contains(warn, "could not be saved") || !strings.Contains(warn, `"hello login"`) || strings.Contains(warn, "left as it was") {
		t.Errorf("stderr %q; want one warning line naming %s and what the next run faces", r.Stderr, dir)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("the entry changed although the save failed")
	}
	// What the warning said: the next run presents the replaced refresh
	// token, which the sandbox refuses as reused.
	if r := v.run("messages", "protected"); r.Code != 4 || !strings.Contains(r.Stderr, revokedMsg) {
		t.Errorf("next run: exit %d, stderr %q; want 4 and %q", r.Code, r.Stderr, revokedMsg)
	}
}

func TestExpiredMachineSessionWithoutSecret(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.setenv("HELLO_CLIENT_ID", "hello-ci")
	u.setenv("HELLO_CLIENT_SECRET", "hello-ci-secret")
	u.mustRun("login", "--client-credentials")
	u.expireToken()
	v := *u
	v.env = slices.DeleteFunc(slices.Clone(u.env), func(kv string) bool { return strings.HasPrefix(kv, "HELLO_CLIENT_SECRET=") })
	for _, args := range [][]string{{"messages", "protected"}, {"status"}, {"token"}} {
		r := v.run(args...)
		if r.Code != 4 || !strings.Contains(r.Stderr, "set HELLO_CLIENT_SECRET") || strings.Contains(r.Stdout+r.Stderr, "hello login") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 4 and the advice to set HELLO_CLIENT_SECRET", args, r.Code, r.Stdout, r.Stderr)
		}
	}
	if got := sb.grants(t, "client_credentials"); got != 1 {
		t.Errorf("%d client credentials grants, want only the login's", got)
	}
	// With the secret back, it is minted anew.
	u.mustRun("messages", "protected")
}

func TestPublicMessage401(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	var auth atomic.Value
	auth.Store("")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		w.WriteHeader(401)
		io.WriteString(w, `{"message":"Requires authentication"}`)
	}))
	t.Cleanup(api.Close)
	u.setenv("HELLO_API_URL", api.URL)
	r := u.run("messages", "public")
	if r.Code != 1 || strings.Contains(r.Stderr, "fresh") || strings.Contains(r.Stderr, "hello login") || !strings.Contains(r.Stderr, "check the API URL") {
		t.Errorf("exit %d, stderr %q; want 1, no token refused, check the API URL", r.Code, r.Stderr)
	}
	if a := auth.Load().(string); a != "" {
		t.Errorf("the public message sent Authorization %q", a)
	}
}

func TestExpiredIDTokenIsNeverPrinted(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	base := u.cacheBytes()
	_, tokenPath := tokenEndpoint(t, sb)
	front := failingProvider(t, sb, func(string) (int, string, http.Header) { return 0, "", nil })
	// The renewal's ID token arrives with its signature broken.
	var tampered atomic.Bool
	inner := front.Config.Handler
	front.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != tokenPath {
			inner.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if id, ok := body["id_token"].(string); ok {
				body["id_token"] = id[:strings.LastIndex(id, ".")+1] + base64.RawURLEncoding.EncodeToString([]byte("not the signature"))
				tampered.Store(true)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(body)
	})
	path := u.copySession(base, front.URL)
	// The cached ID token has expired (the access token is still valid).
	expired := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","exp":1}`)) + ".c2ln"
	before, _ := os.ReadFile(path)
	writeEntry(t, path, before, front.URL, map[string]any{"id_token": expired, "expiry": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	v := withIssuer(u, front.URL)

	r := v.run("token", "--id-token")
	if !tampered.Load() {
		t.Fatal("the renewal brought no ID token to tamper with")
	}
	if r.Stdout != "" || strings.Contains(r.Stdout+r.Stderr, expired) {
		t.Errorf("stdout %q: an expired ID token was printed", r.Stdout)
	}
	if r.Code != 4 || !strings.Contains(r.Stderr, "failed verification") {
		t.Errorf("exit %d, stderr %q; want 4 and that the new ID token failed verification", r.Code, r.Stderr)
	}
	// The session itself was renewed and saved.
	if r := v.run("messages", "protected"); r.Code != 0 {
		t.Errorf("messages after: exit %d\n%s", r.Code, r.Stderr)
	}
}
