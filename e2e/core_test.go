package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The session core: a refresh never loses a session, and every failure on
// the way has the documented exit code and one sentence.

const revokedMsg = `session expired or revoked: run "hello login"`

func (u *user) cacheDir() string { return filepath.Join(u.home, ".cache", "hello") }

func TestStatusAfterInvalidGrant(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	// Keep the first refresh token, let it rotate, then put it back: the
	// next refresh presents a spent token and the provider answers
	// invalid_grant, as it would after a revocation.
	old := u.cacheBytes()
	u.expireToken()
	u.mustRun("messages", "protected")
	if err := os.WriteFile(u.cachePath(), old, 0o600); err != nil {
		t.Fatal(err)
	}
	u.expireToken()

	r := u.run("messages", "protected")
	if r.Code != 4 || !strings.Contains(r.Stderr, revokedMsg) {
		t.Fatalf("messages after invalid_grant: exit %d\n%s", r.Code, r.Stderr)
	}
	refreshes := sb.grants(t, "refresh_token")
	// Every command, status included, says so without asking the provider.
	for _, args := range [][]string{{"status"}, {"messages", "protected"}, {"token"}, {"profile"}, {"status", "-o", "json"}} {
		r := u.run(args...)
		if r.Code != 4 || !strings.Contains(r.Stderr, revokedMsg) {
			t.Errorf("%v after invalid_grant: exit %d, stderr %q; want 4 and %q", args, r.Code, r.Stderr, revokedMsg)
		}
		if args[0] == "status" && !strings.Contains(r.Stdout, "alice@example.com") {
			t.Errorf("%v does not say who was logged in:\n%s", args, r.Stdout)
		}
	}
	if got := sb.grants(t, "refresh_token"); got != refreshes {
		t.Errorf("a dead session was refreshed again (%d → %d)", refreshes, got)
	}
	e := u.cacheEntry()
	if e["dead"] != true || e["refresh_token"] != nil || e["access_token"] != "" {
		t.Errorf("cache entry after invalid_grant: %v", e)
	}
	// A new login replaces it.
	u.login("alice@example.com", "alice-password")
	u.mustRun("status")
	u.mustRun("messages", "protected")
}

// unwritable runs hello while the cache directory refuses new files, and
// checks that nothing was spent and the session survives.
func unwritable(t *testing.T, sb *sandbox, u *user, block, unblock func()) {
	t.Helper()
	u.expireToken()
	before := u.cacheEntry()
	block()
	r := u.run("messages", "protected")
	unblock()
	if r.Code != 1 || !strings.Contains(r.Stderr, u.cacheDir()) || !strings.Contains(r.Stderr, "the session was left as it was") {
		t.Fatalf("messages with an unwritable cache: exit %d\n%s", r.Code, r.Stderr)
	}
	if got := sb.grants(t, "refresh_token"); got != 0 {
		t.Fatalf("the refresh token was spent (%d refreshes) though its successor could not be saved", got)
	}
	if after := u.cacheEntry(); after["refresh_token"] != before["refresh_token"] {
		t.Error("the cache entry changed")
	}
	// The next run, with room again, renews and works.
	u.mustRun("messages", "protected")
	if got := sb.grants(t, "refresh_token"); got != 1 {
		t.Errorf("%d refreshes after the disk recovered, want 1", got)
	}
	if n := sb.stats(t)["refresh_reuse_detected"].(float64); n != 0 {
		t.Errorf("the sandbox saw %v refresh-token reuses", n)
	}
}

func TestReadOnlyCacheDirectoryKeepsSession(t *testing.T) {
	t.Parallel()
	requireChattr(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	dir := u.cacheDir()
	setAttr := func(flag string) {
		if err := chattr(dir, flag); err != nil {
			t.Skip(err)
		}
	}
	t.Cleanup(func() { _ = chattr(dir, "-i") })
	unwritable(t, sb, u, func() {
		setAttr("+i")
		if f, err := os.CreateTemp(dir, "probe"); err == nil {
			f.Close()
			os.Remove(f.Name())
			t.Skip("the file system ignores the immutable attribute")
		}
	}, func() { setAttr("-i") })
}

func TestFullDiskKeepsSession(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	// The cache lives on a small tmpfs of its own, which the test fills.
	if err := os.MkdirAll(u.cacheDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", u.cacheDir()).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v %s); the full disk is covered by the unit tests", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", u.cacheDir()).Run() })
	u.login("alice@example.com", "alice-password")
	filler := filepath.Join(u.cacheDir(), "filler")
	unwritable(t, sb, u, func() {
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := f.Write(buf); err != nil {
				if !strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
					t.Fatalf("filling the disk: %v", err)
				}
				return
			}
		}
	}, func() { _ = os.Remove(filler) })
}

func TestLooseCacheEntryIsTightened(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	if err := os.Chmod(u.cachePath(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := u.mustRun("messages", "protected")
	if strings.Count(r.Stderr, "readable by others") != 1 || !strings.Contains(r.Stderr, u.cachePath()) {
		t.Errorf("stderr = %q, want one notice naming the file", r.Stderr)
	}
	if fi, err := os.Stat(u.cachePath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after use: %v %v, want 0600", fi.Mode(), err)
	}
	if r := u.mustRun("messages", "protected"); r.Stderr != "" {
		t.Errorf("second run still warns: %q", r.Stderr)
	}
}

func TestOversizedCacheEntryIsRefused(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	path := u.cachePath()
	if err := os.Truncate(path, 200<<20); err != nil {
		t.Fatal(err)
	}
	r := u.run("messages", "protected")
	if r.Code != 4 || strings.Count(r.Stderr, path) != 1 || !strings.Contains(r.Stderr, "bytes") {
		t.Errorf("oversized entry: exit %d\n%s", r.Code, r.Stderr)
	}
}

func TestAPIRefusesAFreshToken(t *testing.T) {
	t.Parallel()
	full := startSandbox(t)
	// An API that expects another audience refuses every token hello has.
	other := startSandbox(t, "--issuer", full.Issuer, "--audience", "https://other-api.example.com")
	u := newUser(t, full)
	u.login("alice@example.com", "alice-password")
	u.setenv("HELLO_API_URL", other.API)
	r := u.run("messages", "protected")
	if r.Code != 4 || strings.Contains(r.Stderr, "hello login") ||
		!strings.Contains(r.Stderr, "freshly issued") || !strings.Contains(r.Stderr, full.Issuer) || !strings.Contains(r.Stderr, "https://hello-world.example.com") {
		t.Errorf("API refusing a fresh token: exit %d\n%s", r.Code, r.Stderr)
	}
	// It renewed once and retried once.
	if got := full.grants(t, "refresh_token"); got != 1 {
		t.Errorf("%d refreshes, want 1 (renew once on 401)", got)
	}
}

// failingProvider fronts a sandbox provider. Its discovery document names
// the front's own URL, so that hello's requests pass through it; fail
// decides the answer per path.
func failingProvider(t *testing.T, sb *sandbox, fail func(path string) (status int, body string, header http.Header)) *httptest.Server {
	t.Helper()
	return frontProvider(t, sb, func(w http.ResponseWriter, r *http.Request, _ http.Handler) bool {
		status, body, h := fail(r.URL.Path)
		if status == 0 {
			return false
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
		return true
	})
}

// frontProvider is the sandbox behind a front of its own, whose discovery
// names the front's endpoints. intercept sees every request first, with the
// sandbox as next, and reports whether it answered; otherwise the request
// goes on to the sandbox.
func frontProvider(t *testing.T, sb *sandbox, intercept func(w http.ResponseWriter, r *http.Request, next http.Handler) bool) *httptest.Server {
	t.Helper()
	target, _ := url.Parse(sb.Issuer)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var front *httptest.Server
	front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept(w, r, proxy) {
			return
		}
		if r.URL.Path == "/.well-known/openid-configuration" {
			resp, err := http.Get(sb.Issuer + r.URL.Path)
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(strings.ReplaceAll(string(b), sb.Issuer, front.URL)))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front
}

// copySession gives u an expired copy of the session base for issuer.
func (u *user) copySession(base []byte, issuer string) string {
	u.t.Helper()
	var e map[string]any
	if err := json.Unmarshal(base, &e); err != nil {
		u.t.Fatal(err)
	}
	e["issuer"] = issuer
	e["token"].(map[string]any)["expiry"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	b, _ := json.Marshal(e)
	sum := sha256.Sum256([]byte(issuer + "\x00" + "hello-cli" + "\x00" + "https://hello-world.example.com"))
	path := filepath.Join(u.cacheDir(), hex.EncodeToString(sum[:16])+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		u.t.Fatal(err)
	}
	return path
}

func TestProviderTemporarilyUnavailable(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	base := u.cacheBytes()
	tokenPath := "/oauth/token"
	var doc map[string]any
	getJSON(t, sb.Issuer+"/.well-known/openid-configuration", &doc)
	if te, ok := doc["token_endpoint"].(string); ok {
		tu, _ := url.Parse(te)
		tokenPath = tu.Path
	}
	for _, tc := range []struct {
		name, path string
		status     int
		body       string
		header     http.Header
		want       string
	}{
		{"discovery 503", "/.well-known/openid-configuration", 503, `{}`, nil, "try again later"},
		{"discovery 429", "/.well-known/openid-configuration", 429, `{}`, http.Header{"Retry-After": {"0"}}, "try again later"},
		{"token 503", tokenPath, 503, `{}`, nil, "try again later"},
		{"token 429", tokenPath, 429, `{}`, http.Header{"Retry-After": {"7"}}, "it asked to wait 7s"},
		{"token temporarily_unavailable", tokenPath, 400, `{"error":"temporarily_unavailable","error_description":"maintenance"}`, nil, "maintenance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			front := failingProvider(t, sb, func(p string) (int, string, http.Header) {
				if p == tc.path {
					hits.Add(1)
					return tc.status, tc.body, tc.header
				}
				return 0, "", nil
			})
			path := u.copySession(base, front.URL)
			before, _ := os.ReadFile(path)
			v := *u
			v.env = append(append([]string(nil), u.env...), "HELLO_ISSUER="+front.URL)
			r := v.run("messages", "protected")
			if r.Code != 3 || !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, "try again later") ||
				strings.Contains(r.Stderr, "hello login") || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 3 and one sentence with %q", r.Code, r.Stderr, tc.want)
			}
			if hits.Load() == 0 {
				t.Error("the failing endpoint was not reached")
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("the session changed")
			}
			// status still calls the session usable.
			if r := v.run("status"); r.Code != 0 {
				t.Errorf("status after a temporary failure: exit %d\n%s", r.Code, r.Stderr)
			}
		})
	}
}

// sandboxHas reports whether this build's sandbox knows flag.
func sandboxHas(t *testing.T, flag string) bool {
	t.Helper()
	out, _ := exec.Command(helloBin, "sandbox", "--help").CombinedOutput()
	return strings.Contains(string(out), flag)
}

func TestKilledRefresh(t *testing.T) {
	t.Parallel()
	if !sandboxHas(t, "--refresh-reuse-interval") {
		t.Skip("the sandbox has no --refresh-reuse-interval yet")
	}
	// A refresh whose answer never arrives: the provider rotated the
	// token, hello never saw the new one. Without a reuse interval the next
	// refresh is a reuse and the session is lost, which no client alone can
	// prevent; with one (Auth0's Rotation Overlap Period) it survives.
	for _, tc := range []struct {
		interval string
		survives bool
	}{{"0s", false}, {"1m", true}} {
		t.Run("reuse interval "+tc.interval, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t, "--refresh-reuse-interval", tc.interval)
			u := newUser(t, sb)
			u.login("alice@example.com", "alice-password")
			base := u.cacheBytes()
			var doc map[string]any
			getJSON(t, sb.Issuer+"/.well-known/openid-configuration", &doc)
			tu, _ := url.Parse(doc["token_endpoint"].(string))
			var lose atomic.Bool
			lose.Store(true)
			front := failingProvider(t, sb, func(string) (int, string, http.Header) { return 0, "", nil })
			// Wrap the front: the first refresh reaches the provider, and
			// its answer is thrown away with the connection.
			inner := front.Config.Handler
			front.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == tu.Path && lose.Swap(false) {
					rec := httptest.NewRecorder()
					inner.ServeHTTP(rec, r)
					if rec.Code != 200 {
						t.Errorf("the lost refresh failed at the provider: %d %s", rec.Code, rec.Body)
					}
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
					return
				}
				inner.ServeHTTP(w, r)
			})
			u.copySession(base, front.URL)
			v := *u
			v.env = append(append([]string(nil), u.env...), "HELLO_ISSUER="+front.URL)
			if r := v.run("messages", "protected"); r.Code != 3 {
				t.Fatalf("the lost answer: exit %d, want 3\n%s", r.Code, r.Stderr)
			}
			r := v.run("messages", "protected")
			if tc.survives && r.Code != 0 {
				t.Errorf("with a reuse interval the session was lost: exit %d\n%s", r.Code, r.Stderr)
			}
			if !tc.survives && (r.Code != 4 || !strings.Contains(r.Stderr, revokedMsg)) {
				t.Errorf("without a reuse interval: exit %d\n%s; want 4 and %q", r.Code, r.Stderr, revokedMsg)
			}
		})
	}
}
