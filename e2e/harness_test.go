// Package e2e runs the real hello binary against a real `hello sandbox`,
// driving logins over HTTP like a browser would, or in headless Chromium.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

// helloBin is the binary under test, built once for the whole run.
var helloBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hello-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helloBin = filepath.Join(dir, "hello")
	if err := harness.Build(helloBin, ".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// sandbox is a running `hello sandbox` process.
type sandbox struct {
	Issuer string
	API    string
	cmd    *exec.Cmd
	stderr *harness.Buffer
	done   chan error

	stopOnce sync.Once
}

// startSandbox runs `hello sandbox` on free ports and waits for its two lines.
func startSandbox(t testing.TB, args ...string) *sandbox {
	t.Helper()
	base := []string{"sandbox", "--addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0", "--device-interval", "1s"}
	if !slices.Contains(args, "--state-dir") {
		base = append(base, "--ephemeral")
	}
	cmd := exec.Command(helloBin, append(base, args...)...)
	cmd.Env = cleanEnv(t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sb := &sandbox{cmd: cmd, stderr: &harness.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = sb.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { sb.done <- cmd.Wait() }()
	t.Cleanup(func() { sb.stop(t) })
	deadline := time.After(30 * time.Second)
	for sb.Issuer == "" || sb.API == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox exited before printing its addresses; stderr:\n%s", sb.stderr)
			}
			if v, ok := strings.CutPrefix(l, "HELLO_ISSUER="); ok {
				sb.Issuer = v
			} else if v, ok := strings.CutPrefix(l, "HELLO_API_URL="); ok {
				sb.API = v
			} else {
				t.Fatalf("unexpected line on the sandbox's stdout: %q", l)
			}
		case <-deadline:
			t.Fatalf("sandbox did not print its addresses in time; stderr:\n%s", sb.stderr)
		}
	}
	return sb
}

// stop sends SIGTERM and expects a clean exit.
// Stopping twice (a test, then its cleanup) is fine.
func (sb *sandbox) stop(t testing.TB) {
	t.Helper()
	sb.stopOnce.Do(func() { sb.terminate(t) })
}

func (sb *sandbox) terminate(t testing.TB) {
	t.Helper()
	_ = sb.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-sb.done:
		if err != nil && !t.Failed() {
			t.Errorf("sandbox did not stop cleanly: %v; stderr:\n%s", err, sb.stderr)
		}
	case <-time.After(15 * time.Second):
		_ = sb.cmd.Process.Kill()
		t.Errorf("sandbox did not stop within 15s of SIGTERM")
	}
}

// stats reads the sandbox provider's grant counters.
func (sb *sandbox) stats(t testing.TB) map[string]any {
	t.Helper()
	var out map[string]any
	getJSON(t, sb.Issuer+"/sandbox/stats", &out)
	return out
}

// grants returns how many tokens the provider issued with grant type g.
func (sb *sandbox) grants(t testing.TB, g string) int {
	t.Helper()
	m, _ := sb.stats(t)["grants"].(map[string]any)
	n, _ := m[g].(float64)
	return int(n)
}

// user is one person using hello: their own home, cache and config.
type user struct {
	t    testing.TB
	home string
	env  []string
	dir  string // working directory
}

func newUser(t testing.TB, sb *sandbox) *user {
	t.Helper()
	home := t.TempDir()
	u := &user{t: t, home: home, dir: home, env: cleanEnv(home)}
	if sb != nil {
		u.setenv("HELLO_ISSUER", sb.Issuer)
		u.setenv("HELLO_API_URL", sb.API)
	}
	return u
}

func (u *user) setenv(k, v string) {
	u.env = append(u.env, k+"="+v)
}

// result is what one hello run did.
type result = harness.Result

// run runs hello to completion.
func (u *user) run(args ...string) result {
	u.t.Helper()
	r, err := harness.Run(helloBin, u.env, u.dir, nil, args...)
	if err != nil {
		u.t.Fatalf("run hello %v: %v", args, err)
	}
	return r
}

// mustRun runs hello and fails the test unless it exits 0.
func (u *user) mustRun(args ...string) result {
	u.t.Helper()
	r := u.run(args...)
	if r.Code != 0 {
		u.t.Fatalf("hello %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// background is a hello process still running, e.g. a login waiting for
// its browser.
type background = harness.Process

func (u *user) start(args ...string) *background {
	u.t.Helper()
	return u.startProgram(helloBin, args...)
}

// startProgram is start for any program, e.g. hello run through another.
func (u *user) startProgram(name string, args ...string) *background {
	u.t.Helper()
	p, err := harness.Start(name, u.env, u.dir, args...)
	if err != nil {
		u.t.Fatal(err)
	}
	// Killing a process that has already exited is a harmless error.
	u.t.Cleanup(func() { _ = p.Cmd.Process.Kill() })
	return p
}

// loginURL matches the authorize URL that `hello login --no-browser` prints.
var loginURL = regexp.MustCompile(`(https?://\S+/authorize\?\S+)`)

// cleanEnv is a minimal environment: nothing from the developer's machine
// (their real cache, config or CI variables) leaks into the run.
func cleanEnv(home string) []string {
	return append(harness.CleanEnv(home),
		// Plain files, as a headless machine is configured: these tests are
		// about sessions, not storage, and the OS keyring's own tests
		// (keyring_test.go) choose the storage they exercise.
		"HELLO_TOKEN_STORAGE=file",
	)
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// browserClient is an HTTP client with cookies, like a browser.
func browserClient(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)(\w+)="([^"]*)"`)
)

// form is an HTML form as a browser would submit it.
type form struct {
	Action string
	Values url.Values
}

// parseForm returns the first form of page whose inputs include field.
func parseForm(t testing.TB, page, field string) form {
	t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(page, -1) {
		values := url.Values{}
		for _, in := range inputRe.FindAllString(m[2], -1) {
			attrs := map[string]string{}
			for _, a := range attrRe.FindAllStringSubmatch(in, -1) {
				attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
			}
			if attrs["name"] != "" {
				values.Set(attrs["name"], attrs["value"])
			}
		}
		if _, ok := values[field]; ok {
			return form{Action: html.UnescapeString(m[1]), Values: values}
		}
	}
	t.Fatalf("no form with field %q in page:\n%s", field, page)
	return form{}
}

// writeFile writes name in the user's working directory.
func (u *user) writeFile(name, content string) {
	u.t.Helper()
	if err := os.WriteFile(filepath.Join(u.dir, name), []byte(content), 0o600); err != nil {
		u.t.Fatal(err)
	}
}

// cachePath is the user's one token cache entry.
func (u *user) cachePath() string {
	u.t.Helper()
	matches, _ := filepath.Glob(filepath.Join(u.home, ".cache", "hello", "*.json"))
	if len(matches) != 1 {
		u.t.Fatalf("want one cache entry, found %v", matches)
	}
	return matches[0]
}

// cacheBytes is the user's cache entry, byte for byte.
func (u *user) cacheBytes() []byte {
	u.t.Helper()
	b, err := os.ReadFile(u.cachePath())
	if err != nil {
		u.t.Fatal(err)
	}
	return b
}

// cacheFile reads the user's cache entry as it is on disk.
func (u *user) cacheFile() map[string]any {
	u.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(u.cacheBytes(), &m); err != nil {
		u.t.Fatal(err)
	}
	return m
}

// cacheEntry reads the user's cache entry with its token fields
// (access_token, refresh_token, grant, …) beside the others.
func (u *user) cacheEntry() map[string]any {
	u.t.Helper()
	m := u.cacheFile()
	tok, _ := m["token"].(map[string]any)
	for k, v := range tok {
		m[k] = v
	}
	return m
}

func newRequest(t testing.TB, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// do sends req and checks the status, returning the body.
func do(t testing.TB, req *http.Request, status int) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d", req.Method, req.URL, resp.StatusCode, body, status)
	}
	return string(body)
}

// expireToken makes the cached access token look expired, as it would be an
// hour after login, without waiting that hour.
func (u *user) expireToken() {
	u.t.Helper()
	e := u.cacheFile()
	tok, ok := e["token"].(map[string]any)
	if !ok {
		u.t.Fatal("the cache entry has no token fields")
	}
	tok["expiry"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	b, err := json.Marshal(e)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(u.cachePath(), b, 0o600); err != nil {
		u.t.Fatal(err)
	}
}

var syscallSIGTERM = syscall.SIGTERM

// requireChattr skips a test that needs the immutable attribute where
// chattr is missing: root ignores permission bits, the attribute stops root
// too.
func requireChattr(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("chattr not found")
	}
}

// chattr sets ("+i") or clears ("-i") dir's immutable attribute.
func chattr(dir, flag string) error {
	if out, err := exec.Command("chattr", flag, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("chattr %s: %v %s", flag, err, out)
	}
	return nil
}
