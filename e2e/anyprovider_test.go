package e2e

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

// stopAtLoopback is a browser that signs in on the sandbox but does not
// follow the redirect back to hello: it returns it, as the address bar of a
// browser on another machine would show it after failing to load it.
func stopAtLoopback(t *testing.T, authURL, email, password string) string {
	t.Helper()
	c := browserClient(t)
	var back string
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Hostname() == "localhost" {
			back = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	pageURL, page := fetch(t, c, authURL)
	if back == "" && strings.Contains(page, `name="password"`) {
		f := parseForm(t, page, "password")
		f.Values.Set("username", email)
		f.Values.Set("password", password)
		submit(t, c, pageURL, f)
	}
	if back == "" {
		t.Fatalf("the sandbox did not redirect back to hello after the login")
	}
	return back
}

var addressPrompt = regexp.MustCompile(`(Address: )`)

func TestManualLoginPastesTheRedirect(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	// Nothing listens on 4040 for this test: the browser "elsewhere" fails
	// to load the redirect, and its address is pasted.
	bg := u.start("login", "--manual", "--port", "4040", "--timeout", "1m")
	authURL := bg.WaitStderr(t, loginURL)
	bg.WaitStderr(t, addressPrompt)
	back := stopAtLoopback(t, authURL, "alice@example.com", "alice-password")
	if !strings.HasPrefix(back, "http://localhost:4040/callback?") {
		t.Fatalf("redirect %q, want the registered callback", back)
	}
	if _, err := bg.Stdin.Write([]byte(back + "\n")); err != nil {
		t.Fatal(err)
	}
	if r := bg.Wait(t); r.Code != 0 || !strings.Contains(r.Stderr, "Logged in as alice@example.com") {
		t.Fatalf("manual login: exit %d\n%s", r.Code, r.Stderr)
	}
	if got := u.mustRun("messages", "admin").Stdout; got != "This is an admin message.\n" {
		t.Errorf("admin message after the pasted login = %q", got)
	}
}

func TestManualLoginRefusesAnotherLoginsRedirect(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	// A redirect from an earlier login (another state) is pasted.
	first := u.start("login", "--manual", "--port", "4040")
	stale := stopAtLoopback(t, first.WaitStderr(t, loginURL), "alice@example.com", "alice-password")
	_ = first.Cmd.Process.Kill()

	bg := u.start("login", "--manual", "--port", "4040")
	bg.WaitStderr(t, addressPrompt)
	if _, err := bg.Stdin.Write([]byte(stale + "\n")); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	if r.Code != 4 || !strings.Contains(r.Stderr, "state mismatch") {
		t.Fatalf("stale redirect: exit %d\n%s", r.Code, r.Stderr)
	}
	q, _ := url.Parse(stale)
	if code := q.Query().Get("code"); code == "" || strings.Contains(r.Stderr, code) {
		t.Errorf("the error repeats the code, or there was none: %s", r.Stderr)
	}
	if st := u.run("status"); st.Code != 4 {
		t.Errorf("a session was saved from a refused paste: exit %d", st.Code)
	}
}

// TestManualLoginRefusesAnotherIssuer: a pasted redirect of this very
// login (its state) that names another issuer is refused before its code
// is redeemed.
func TestManualLoginRefusesAnotherIssuer(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--manual", "--port", "4040", "--timeout", "1m")
	authURL := bg.WaitStderr(t, loginURL)
	bg.WaitStderr(t, addressPrompt)
	forged, err := url.Parse(stopAtLoopback(t, authURL, "alice@example.com", "alice-password"))
	if err != nil {
		t.Fatal(err)
	}
	q := forged.Query()
	q.Set("iss", "https://attacker.example/")
	forged.RawQuery = q.Encode()
	if _, err := bg.Stdin.Write([]byte(forged.String() + "\n")); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	if r.Code != 4 || !strings.Contains(r.Stderr, "attacker.example") {
		t.Fatalf("pasted redirect with another iss: exit %d\n%s", r.Code, r.Stderr)
	}
	if n := sb.grants(t, "authorization_code"); n != 0 {
		t.Errorf("the code was redeemed %d times", n)
	}
	if st := u.run("status"); st.Code != 4 {
		t.Errorf("a session was saved from a refused paste: exit %d", st.Code)
	}
}

func TestManualLoginTimeout(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--manual", "--port", "4040", "--timeout", "1s")
	// Nothing is pasted; stdin stays open.
	r := bg.Wait(t)
	if r.Code != 4 || !strings.Contains(r.Stderr, "not finished in time") {
		t.Fatalf("manual login with nothing pasted: exit %d\n%s", r.Code, r.Stderr)
	}
}

// needScript skips without script(1), which gives hello a terminal.
func needScript(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		if harness.MustRun(os.Getenv("CI")) {
			t.Fatal("script (util-linux) is needed to give hello a terminal, and CI must run this test")
		}
		t.Skip("script (util-linux) is needed to give hello a terminal")
	}
}

// TestLoginKeepsTheBrowserWithStderrRedirected: a person at a terminal who
// sends hello's messages to a file still gets the browser, not the device
// flow.
func TestLoginKeepsTheBrowserWithStderrRedirected(t *testing.T) {
	t.Parallel()
	needScript(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	opened := filepath.Join(u.home, "opened-url")
	launcher := filepath.Join(u.home, "browser")
	if err := os.WriteFile(launcher, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+opened+".tmp && mv "+opened+".tmp "+opened+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u.setenv("BROWSER", launcher)
	errFile := filepath.Join(u.home, "err.txt")
	login := u.startProgram("script", "-qec", helloBin+" login --port 0 2>"+errFile, "/dev/null")
	page := httpLogin(t, browserClient(t), waitFile(t, opened), "alice@example.com", "alice-password")
	if !strings.Contains(page, "Logged in") {
		t.Errorf("callback page:\n%s", page)
	}
	if r := login.Wait(t); r.Code != 0 {
		t.Fatalf("login: exit %d\n%s", r.Code, r.Stdout)
	}
	msgs, err := os.ReadFile(errFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(msgs), "device flow") || !strings.Contains(string(msgs), "Logged in as alice@example.com") {
		t.Errorf("stderr (redirected):\n%s", msgs)
	}
}

// TestDeviceFlowShowsProgressOnATerminal: the device flow counts down the
// code's lifetime on a terminal, and --timeout ends it.
func TestDeviceFlowShowsProgressOnATerminal(t *testing.T) {
	t.Parallel()
	needScript(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.startProgram("script", "-qec", helloBin+" login --device --timeout 2s", "/dev/null")
	r := bg.Wait(t)
	if r.Code != 4 {
		t.Fatalf("unapproved device login: exit %d\n%s", r.Code, r.Stdout)
	}
	if !regexp.MustCompile(`\rWaiting for approval… \(code expires in \d+m\d+s\)`).MatchString(r.Stdout) {
		t.Errorf("no live progress line on the terminal:\n%q", r.Stdout)
	}
	if !strings.Contains(r.Stdout, "not finished in time") {
		t.Errorf("no timeout message:\n%s", r.Stdout)
	}
}

func TestStatusAndProfileShowThePerson(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("bob@example.com", "bob-password")
	st := u.mustRun("status").Stdout
	if !regexp.MustCompile(`(?m)^\s*Permissions:\s+\(none\)$`).MatchString(st) || !strings.Contains(st, "bob@example.com") {
		t.Errorf("status:\n%s", st)
	}
	prof := u.mustRun("profile").Stdout
	for _, protocol := range []string{"at_hash", "nonce", "auth_time", "rat", "azp", "sid", "amr"} {
		if regexp.MustCompile(`(?m)^\s*` + protocol + `\b`).MatchString(prof) {
			t.Errorf("profile lists the protocol claim %s:\n%s", protocol, prof)
		}
	}
	if !strings.Contains(prof, "bob@example.com") {
		t.Errorf("profile:\n%s", prof)
	}
}

func TestLogoutNamesWhoAndPrintsAWorkingURL(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	c := browserClient(t)
	u.loginWith(c, "alice@example.com", "alice-password")
	r := u.mustRun("logout")
	if !strings.Contains(r.Stderr, "Logged out alice@example.com") {
		t.Errorf("logout does not name who:\n%s", r.Stderr)
	}
	printed := regexpFind(t, `browser session too, open:\s+(\S+)`, r.Stderr)
	// As printed: the provider's pages, ending on its own, never on a
	// localhost port that nobody answers once hello has exited.
	var left error
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Hostname() == "localhost" {
			left = errors.New("redirected to " + req.URL.String())
			return http.ErrUseLastResponse
		}
		return nil
	}
	pageURL, page := fetch(t, c, printed)
	if strings.Contains(page, "csrf_token") {
		pageURL, page = submit(t, c, pageURL, parseForm(t, page, "csrf_token"))
	}
	if left != nil || !strings.Contains(page, "You are logged out") {
		t.Fatalf("the printed logout URL did not end on the provider's page (%v); ended at %s:\n%s", left, pageURL, page)
	}
}

// TestLoginRefusesAnotherIssuer relays the sandbox's answer to hello with
// another iss (RFC 9207), as a mix-up attacker would: hello must refuse it
// before redeeming the code.
func TestLoginRefusesAnotherIssuer(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--no-browser", "--port", "0")
	back := stopAtLoopback(t, bg.WaitStderr(t, loginURL), "alice@example.com", "alice-password")
	forged, err := url.Parse(back)
	if err != nil {
		t.Fatal(err)
	}
	// Whether or not the sandbox sends iss, an answer that carries one
	// must carry the issuer's.
	q := forged.Query()
	if got := q.Get("iss"); got != "" && got != sb.Issuer {
		t.Fatalf("the sandbox's answer carries iss %q, want %q", got, sb.Issuer)
	}
	q.Set("iss", "https://attacker.example/")
	forged.RawQuery = q.Encode()
	_, page := fetch(t, browserClient(t), forged.String())
	r := bg.Wait(t)
	if r.Code != 4 || !strings.Contains(r.Stderr, "attacker.example") || !strings.Contains(page, "attacker.example") {
		t.Fatalf("forged iss: exit %d\nstderr: %s\npage: %s", r.Code, r.Stderr, page)
	}
	if st := u.run("status"); st.Code != 4 {
		t.Errorf("a session was saved from a refused answer: exit %d", st.Code)
	}
	if n := sb.grants(t, "authorization_code"); n != 0 {
		t.Errorf("the code was redeemed %d times", n)
	}
	// The counter is the right one: a real login moves it.
	u.login("alice@example.com", "alice-password")
	if n := sb.grants(t, "authorization_code"); n != 1 {
		t.Errorf("authorization_code grants after one login = %d, want 1", n)
	}
}

func TestParWithoutAnEndpointIsAUsageError(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	r := u.run("login", "--no-browser", "--port", "0", "--par")
	if r.Code != 2 || !strings.Contains(r.Stderr, "pushed authorization request endpoint") {
		t.Fatalf("--par against the sandbox: exit %d\n%s", r.Code, r.Stderr)
	}
}
