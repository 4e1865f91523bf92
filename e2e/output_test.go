package e2e

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// noControls fails the test when out holds a byte a terminal would obey:
// ESC, BEL, CSI (raw or as UTF-8), or any other control except newline and tab.
func noControls(t *testing.T, what, out string) {
	t.Helper()
	for i := 0; i < len(out); i++ {
		c := out[i]
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c == 0x9b {
			t.Errorf("%s holds control byte %#x at %d: %q", what, c, i, out)
			return
		}
	}
	if strings.Contains(out, "\u009b") || strings.Contains(out, "\u202e") {
		t.Errorf("%s holds a C1 or bidi control: %q", what, out)
	}
}

// TestShellConventions: the conventions a shell user expects of any CLI,
// through the real binary.
func TestShellConventions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		env    []string
		file   string // content of ./.config
		code   int
		stdout string
		stderr string
	}{
		{name: "--version", args: []string{"--version"}, code: 0, stdout: "hello "},
		{name: "unknown completion shell is a usage error", args: []string{"completion", "tcsh"}, code: 2,
			stderr: `hello: cannot complete for the shell "tcsh": choose bash, zsh, fish or powershell`},
		{name: "unknown HELLO_ variable", args: []string{"status"}, env: []string{"HELLO_ISSUR=https://id.example.com"}, code: 4,
			stderr: "warning: environment: unknown variable HELLO_ISSUR ignored (did you mean HELLO_ISSUER?)"},
		{name: "unknown config key, same warning", args: []string{"status"}, file: "[AUTH0]\nCLIENTID=x\n", code: 4,
			stderr: "unknown key [AUTH0] CLIENTID ignored (did you mean [AUTH0] CLIENT_ID?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := newUser(t, nil)
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				u.setenv(k, v)
			}
			if tt.file != "" {
				u.writeFile(".config", tt.file)
			}
			r := u.run(tt.args...)
			if r.Code != tt.code || !strings.Contains(r.Stdout, tt.stdout) || !strings.Contains(r.Stderr, tt.stderr) {
				t.Fatalf("hello %s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					strings.Join(tt.args, " "), r.Code, r.Stdout, r.Stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestCtrlCExits130: a login waiting for its browser, interrupted as a
// person would with Ctrl-C, exits 130 and says so in a word.
func TestCtrlCExits130(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--no-browser", "--port", "0")
	bg.waitStderr(t, loginURL)
	if err := bg.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := bg.wait(t)
	if r.Code != 130 || !strings.Contains(r.Stderr, "hello: interrupted") {
		t.Fatalf("after Ctrl-C: exit %d, stderr %q; want 130 and \"interrupted\"", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(u.home, ".cache", "hello")); err == nil {
		if m, _ := filepath.Glob(filepath.Join(u.home, ".cache", "hello", "*.json")); len(m) != 0 {
			t.Errorf("an interrupted login saved a session: %v", m)
		}
	}
}

// TestLoginFailureTab: the provider sends the browser back with an error
// (here a hostile one); the tab says what happened and what to do in plain
// words, and the terminal gets one safe sentence and exit 4.
func TestLoginFailureTab(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	bg := u.start("login", "--no-browser", "--port", "0")
	authURL, err := url.Parse(bg.waitStderr(t, loginURL))
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	back := url.Values{
		"state":             {q.Get("state")},
		"error":             {"access_denied"},
		"error_description": {"User cancelled\x1b[2J\x1b]0;pwned\x07"},
	}
	resp, err := http.Get(q.Get("redirect_uri") + "?" + back.Encode())
	if err != nil {
		t.Fatal(err)
	}
	_, body := readPage(t, resp)
	page := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " "))
	for _, want := range []string{"Login failed", "The login was declined at the provider.", `run "hello login" and approve the request`, "access_denied"} {
		if !strings.Contains(page, want) {
			t.Errorf("failure tab lacks %q:\n%s", want, page)
		}
	}
	r := bg.wait(t)
	if r.Code != 4 || !strings.Contains(r.Stderr, "declined") {
		t.Errorf("denied login: exit %d, stderr %q; want 4 and a plain sentence", r.Code, r.Stderr)
	}
	noControls(t, "stderr", r.Stderr)
}
