package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// deviceURL matches the verification_uri_complete hello prints.
var deviceURL = regexp.MustCompile(`or open (\S+)`)

// approveDevice plays the person on another device: opens the link,
// confirms the code, signs in and presses the given button.
func approveDevice(t *testing.T, c *http.Client, link, email, password, action string) string {
	t.Helper()
	pageURL, page := fetch(t, c, link)
	if strings.Contains(page, `id="user_code"`) {
		pageURL, page = submit(t, c, pageURL, parseForm(t, page, "user_code"))
	}
	if strings.Contains(page, `name="password"`) {
		f := parseForm(t, page, "password")
		f.Values.Set("username", email)
		f.Values.Set("password", password)
		pageURL, page = submit(t, c, pageURL, f)
	}
	f := parseForm(t, page, "csrf_token")
	f.Values.Set("action", action)
	_, page = submit(t, c, pageURL, f)
	return page
}

func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--device")
	link := bg.WaitStderr(t, deviceURL)
	if !strings.Contains(bg.Stderr.String(), "enter the code") {
		t.Errorf("device login did not print the code:\n%s", bg.Stderr)
	}
	approveDevice(t, browserClient(t), link, "alice@example.com", "alice-password", "approve")
	if r := bg.Wait(t); r.Code != 0 || !strings.Contains(r.Stderr, "Logged in as alice@example.com") {
		t.Fatalf("device login: exit %d\n%s", r.Code, r.Stderr)
	}
	if got := u.mustRun("messages", "admin").Stdout; got != "This is an admin message.\n" {
		t.Errorf("admin message after device login = %q", got)
	}
	if e := u.cacheEntry(); e["grant"] != "device_code" {
		t.Errorf("cached grant = %v", e["grant"])
	}
}

func TestDeviceFlowDenied(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--device")
	link := bg.WaitStderr(t, deviceURL)
	approveDevice(t, browserClient(t), link, "alice@example.com", "alice-password", "deny")
	if r := bg.Wait(t); r.Code != 4 || !strings.Contains(r.Stderr, "denied") {
		t.Fatalf("denied device login: exit %d\n%s", r.Code, r.Stderr)
	}
}

func TestDeviceFlowChosenWithoutBrowser(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.setenv("SSH_CONNECTION", "192.0.2.1 22 192.0.2.2 22")
	bg := u.start("login")
	bg.WaitStderr(t, deviceURL)
	if !strings.Contains(bg.Stderr.String(), "device flow") {
		t.Errorf("hello did not say it chose the device flow:\n%s", bg.Stderr)
	}
	_ = bg.Cmd.Process.Kill()
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, "--token-ttl", "5s")
	u := newUser(t, sb)
	u.setenv("HELLO_CLIENT_ID", "hello-ci")

	r := u.run("login", "--client-credentials")
	if r.Code != 2 || !strings.Contains(r.Stderr, "HELLO_CLIENT_SECRET") {
		t.Fatalf("client credentials without a secret: exit %d\n%s", r.Code, r.Stderr)
	}
	u.setenv("HELLO_CLIENT_SECRET", "hello-ci-secret")
	r = u.mustRun("login", "--client-credentials")
	if strings.Contains(r.Stdout+r.Stderr, "hello-ci-secret") {
		t.Error("the secret was printed")
	}
	if sb.grants(t, "client_credentials") != 1 {
		t.Fatal("no client credentials grant reached the sandbox")
	}
	// An expired token is re-minted with nobody at the keyboard.
	for i := 2; i <= 3; i++ {
		u.expireToken()
		if got := u.mustRun("messages", "admin").Stdout; got != "This is an admin message.\n" {
			t.Fatalf("admin message with client credentials = %q", got)
		}
		if got := sb.grants(t, "client_credentials"); got != i {
			t.Fatalf("client credentials grants = %d, want %d (re-mint on expiry)", got, i)
		}
	}
	if e := u.cacheEntry(); e["refresh_token"] != nil || e["grant"] != "client_credentials" {
		t.Errorf("client credentials cache entry: grant %v, refresh token present: %v", e["grant"], e["refresh_token"] != nil)
	}
}

func TestStatusExitCodes(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	if r := u.run("status"); r.Code != 4 || !strings.Contains(r.Stdout, "Not logged in") {
		t.Fatalf("status before login: exit %d\n%s", r.Code, r.Stdout)
	}
	u.login("alice@example.com", "alice-password")
	r := u.mustRun("status")
	for _, want := range []string{"alice@example.com", sb.Issuer, "read:admin-messages", "offline_access"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.Stdout)
		}
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(u.mustRun("status", "-o", "json").Stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st["logged_in"] != true || st["usable"] != true || st["issuer"] != sb.Issuer {
		t.Errorf("status -o json = %v", st)
	}
}

func TestConcurrentRefreshHappensOnce(t *testing.T) {
	t.Parallel()
	// A 5 s lifetime is shorter than the longest renewal margin: a token
	// fresh from another process must not be judged "expiring".
	sb := startSandbox(t, "--token-ttl", "5s")
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	u.expireToken()
	const n = 32
	results := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() { results[i] = u.run("messages", "protected") })
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i, r := range results {
		if r.Code != 0 || r.Stdout != "This is a protected message.\n" {
			t.Errorf("process %d: exit %d, %q\n%s", i, r.Code, r.Stdout, r.Stderr)
		}
	}
	if got := sb.grants(t, "refresh_token"); got != 1 {
		t.Errorf("%d processes on an expired token caused %d refreshes, want exactly 1", n, got)
	}
	if got := sb.stats(t)["refresh_reuse_detected"].(float64); got != 0 {
		t.Errorf("refresh token reuse detected %v times", got)
	}
	t.Logf("%d parallel calls on an expired token: %v", n, elapsed)
	// The session still works afterwards.
	u.mustRun("messages", "admin")
}

func TestLockHeldByAnotherProcess(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	u.expireToken()
	u.setenv("HELLO_LOCK_TIMEOUT", "2s")
	lock := flock.New(u.cachePath() + ".lock")
	if err := lock.Lock(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Unlock() }()
	r := u.run("messages", "protected")
	if r.Code == 0 || !strings.Contains(r.Stderr, "another hello process") {
		t.Fatalf("with the lock held elsewhere: exit %d\n%s", r.Code, r.Stderr)
	}
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}
	u.mustRun("messages", "protected")
}

// flakyAPI answers 503 for the first `failures` requests, then passes
// requests on to the real API.
func flakyAPI(t *testing.T, upstream string, failures int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= failures {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"message":"Service Unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		resp, err := http.Get(upstream + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = fmt.Fprint(w, readAll(resp))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRetryOn503(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	api, calls := flakyAPI(t, sb.API, 2)
	u := newUser(t, sb)
	u.setenv("HELLO_API_URL", api.URL)
	if got := u.mustRun("messages", "public").Stdout; got != "This is a public message.\n" {
		t.Fatalf("public message through a flaky API = %q", got)
	}
	if calls.Load() != 3 {
		t.Errorf("API saw %d requests, want 3 (two 503s, then success)", calls.Load())
	}

	down, calls := flakyAPI(t, sb.API, 1000)
	u.setenv("HELLO_API_URL", down.URL)
	r := u.run("messages", "public")
	if r.Code != 3 || !strings.Contains(r.Stderr, "503") {
		t.Fatalf("API always 503: exit %d\n%s", r.Code, r.Stderr)
	}
	if calls.Load() != 4 {
		t.Errorf("API saw %d requests, want 4 (one try and three retries)", calls.Load())
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	u := newUser(t, nil)
	u.setenv("HELLO_API_URL", "http://127.0.0.1:1")
	if r := u.run("messages", "public"); r.Code != 3 {
		t.Errorf("API unreachable: exit %d\n%s", r.Code, r.Stderr)
	}
	u.setenv("HELLO_ISSUER", "http://127.0.0.1:1")
	if r := u.run("login", "--no-browser"); r.Code != 3 {
		t.Errorf("provider unreachable: exit %d\n%s", r.Code, r.Stderr)
	}
}

func TestCINeverOpensABrowser(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	marker := filepath.Join(u.home, "browser-was-opened")
	script := filepath.Join(u.home, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" > "+marker+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u.setenv("BROWSER", script)
	u.setenv("DISPLAY", ":0")
	u.setenv("CI", "true")
	bg := u.start("login", "--port", "0")
	bg.WaitStderr(t, regexp.MustCompile(`(https?://\S+)`))
	_ = bg.Cmd.Process.Kill()
	bg.Wait(t)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("hello opened a browser with CI=true")
	}
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
