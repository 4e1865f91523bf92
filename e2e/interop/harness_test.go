// Package interop runs the real hello binary against an independent,
// OpenID Certified provider: panva's oidc-provider (Node.js), in the
// configurations of testdata/provider/server.js, with hello's own API
// (`hello sandbox --issuer … --audience …`) validating its tokens.
//
// The provider's node_modules come from `npm ci` in testdata/provider.
// Without them the suite skips, except under CI, where it fails.
package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

// audience is the API identifier both the provider and the API know.
const audience = "https://hello-world.example.com"

var (
	helloBin    string // the binary under test, built once
	providerDir string // the node project with server.js
	missing     string // why the suite cannot run here, if it cannot
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := filepath.Abs(filepath.Join("testdata", "provider"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	providerDir = dir
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		missing = "the provider is not installed: run `npm ci` in e2e/interop/testdata/provider"
	}
	if missing != "" && harness.MustRun(os.Getenv("CI")) {
		fmt.Fprintf(os.Stderr, "interop: %s, and CI must run this suite\n", missing)
		return 1
	}
	tmp, err := os.MkdirTemp("", "hello-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if missing == "" {
		helloBin = filepath.Join(tmp, "hello")
		if err := harness.Build(helloBin, "../.."); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// requireSuite skips (locally) when the provider cannot run here.
func requireSuite(t *testing.T) {
	t.Helper()
	if missing != "" {
		t.Skip(missing)
	}
}

// process is a server the test started; it is stopped when the test ends.
type process struct {
	cmd    *exec.Cmd
	stderr *harness.Buffer
	done   chan struct{}
	stdin  io.Closer
}

// startServer runs name with args and returns the first stdout lines that
// match want, in order. The server must print them within 30 seconds.
func startServer(t *testing.T, env []string, want []string, name string, args ...string) (*process, []string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Dir = providerDir
	dieWithTest(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The provider stops when its stdin closes, so a crashed test leaves
	// no server behind.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &harness.Buffer{}, done: make(chan struct{}), stdin: stdin}
	cmd.Stderr = p.stderr
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
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	var got []string
	deadline := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s exited before printing its address; stderr:\n%s", name, p.stderr)
			}
			v, ok := strings.CutPrefix(l, want[len(got)])
			if !ok {
				t.Fatalf("unexpected line from %s: %q", name, l)
			}
			got = append(got, v)
		case <-deadline:
			t.Fatalf("%s did not print its address in time; stderr:\n%s", name, p.stderr)
		}
	}
	// Drain the rest so the server never blocks on a full pipe.
	go func() {
		for range lines {
		}
	}()
	return p, got
}

func (p *process) stop() {
	_ = p.stdin.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// provider is a running oidc-provider.
type provider struct {
	Name   string
	Issuer string
	proc   *process
}

// startProvider runs server.js in the named configuration.
func startProvider(t *testing.T, name string, env ...string) *provider {
	t.Helper()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "HELLO_INTEROP_AUDIENCE=" + audience}
	p, got := startServer(t, append(base, env...), []string{""}, "node", "server.js", name)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("provider %s stderr:\n%s", name, p.stderr)
		}
	})
	return &provider{Name: name, Issuer: got[0], proc: p}
}

// startAPI runs hello's Hello World API alone, trusting the provider's tokens.
func startAPI(t *testing.T, issuer string) string {
	t.Helper()
	env := cleanEnv(t.TempDir())
	_, got := startServer(t, env, []string{"HELLO_ISSUER=", "HELLO_API_URL="},
		helloBin, "sandbox", "--issuer", issuer, "--audience", audience, "--api-addr", "127.0.0.1:0")
	if got[0] != issuer {
		t.Fatalf("API-only sandbox reports issuer %q, want %q", got[0], issuer)
	}
	return got[1]
}

// user is one person (or machine) using hello, with their own home and cache.
type user struct {
	t    *testing.T
	home string
	env  []string
	// lastCallback is the provider's redirect to hello from the last login.
	lastCallback *string
}

// in is u for the (sub)test t, so that failures end the right test.
func (u *user) in(t *testing.T) *user {
	c := *u
	c.t = t
	return &c
}

func newUser(t *testing.T, p *provider, api string) *user {
	t.Helper()
	home := t.TempDir()
	u := &user{t: t, home: home, env: cleanEnv(home), lastCallback: new(string)}
	u.env = append(u.env,
		"HELLO_ISSUER="+p.Issuer,
		"HELLO_CLIENT_ID=hello-cli",
		"HELLO_AUDIENCE="+audience,
		"HELLO_API_URL="+api,
	)
	return u
}

func (u *user) setenv(k, v string) { u.env = append(u.env, k+"="+v) }

// cleanEnv keeps the developer's machine (cache, config, CI variables) out.
func cleanEnv(home string) []string { return harness.CleanEnv(home) }

// result is what one hello run did.
type result = harness.Result

// run runs hello to completion.
func (u *user) run(args ...string) result {
	u.t.Helper()
	r, err := harness.Run(helloBin, u.env, u.home, nil, args...)
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
	p, err := harness.Start(helloBin, u.env, u.home, args...)
	if err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { _ = p.Cmd.Process.Kill() })
	return p
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

// cacheFile reads the user's cache entry as it is on disk.
func (u *user) cacheFile() map[string]any {
	u.t.Helper()
	b, err := os.ReadFile(u.cachePath())
	if err != nil {
		u.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		u.t.Fatal(err)
	}
	return m
}

// cacheEntry is the token fields of the user's cache entry.
func (u *user) cacheEntry() map[string]any {
	u.t.Helper()
	tok, ok := u.cacheFile()["token"].(map[string]any)
	if !ok {
		u.t.Fatal("the cache entry has no token fields")
	}
	return tok
}

// expireToken makes the cached access token look expired, as it would be
// an hour after login, without waiting that hour.
func (u *user) expireToken() {
	u.t.Helper()
	e := u.cacheFile()
	tok, ok := e["token"].(map[string]any)
	if !ok {
		u.t.Fatalf("the cache entry has no token fields: %v", keys(e))
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

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
