package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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
// person would with Ctrl-C (or stopped with SIGTERM), exits 128 + the
// signal and says so in a word, saving nothing.
func TestCtrlCExits130(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			u := newUser(t, sb)
			bg := u.start("login", "--no-browser", "--port", "0")
			bg.WaitStderr(t, loginURL)
			if err := bg.Cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			r := bg.Wait(t)
			if r.Code != tt.code || !strings.Contains(r.Stderr, "hello: interrupted") {
				t.Fatalf("after %v: exit %d, stderr %q; want %d and \"interrupted\"", tt.sig, r.Code, r.Stderr, tt.code)
			}
			if m, _ := filepath.Glob(filepath.Join(u.home, ".cache", "hello", "*.json")); len(m) != 0 {
				t.Errorf("an interrupted login saved a session: %v", m)
			}
		})
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
	authURL, err := url.Parse(bg.WaitStderr(t, loginURL))
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
	r := bg.Wait(t)
	// The same sentence as a declined device login, the provider's words last.
	if r.Code != 4 || !strings.Contains(r.Stderr, `hello: the login was declined at the provider: to try again, run "hello login" and approve the request (access_denied: User cancelled^[[2J^[]0;pwned^G)`) {
		t.Errorf("denied login: exit %d, stderr %q; want 4 and a plain sentence", r.Code, r.Stderr)
	}
	noControls(t, "stderr", r.Stderr)
}

// hostileName is a sign-up name that clears the screen, turns red and rings.
const hostileName = "Eve\x1b[2J\x1b[31mRED\x07"

// signup runs `hello signup --no-browser` and completes the provider's
// sign-up form over HTTP, returning hello's result.
func (u *user) signup(name, email, password string) result {
	u.t.Helper()
	bg := u.start("signup", "--no-browser", "--port", "0")
	authURL := bg.WaitStderr(u.t, loginURL)
	c := browserClient(u.t)
	pageURL, page := fetch(u.t, c, authURL)
	f := parseForm(u.t, page, "name")
	f.Values.Set("name", name)
	f.Values.Set("email", email)
	f.Values.Set("password", password)
	if pageURL, page = submit(u.t, c, pageURL, f); !strings.HasPrefix(pageURL, "http://localhost:") {
		u.t.Fatalf("sign-up did not reach hello's callback; ended at %s:\n%s", pageURL, page)
	}
	r := bg.Wait(u.t)
	if r.Code != 0 {
		u.t.Fatalf("signup: exit %d\nstderr: %s", r.Code, r.Stderr)
	}
	return r
}

// TestHostileName: a user whose name is an escape sequence. Every command
// that shows the name shows it visibly and harmlessly in text, and JSON
// gives it back exactly.
func TestHostileName(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	r := u.signup(hostileName, "eve@example.com", "eve-password-1")
	noControls(t, "signup stderr", r.Stderr)
	const visible = "Eve^[[2J^[[31mRED^G"
	if !strings.Contains(r.Stderr, "Logged in as eve@example.com ("+visible+")") {
		t.Errorf("signup stderr does not show the name visibly: %q", r.Stderr)
	}
	for _, args := range [][]string{{"profile"}, {"status"}, {"login", "--no-browser", "--port", "0"}} {
		if args[0] == "login" {
			r = u.login("eve@example.com", "eve-password-1")
		} else {
			r = u.mustRun(args...)
		}
		noControls(t, args[0]+" stdout", r.Stdout)
		noControls(t, args[0]+" stderr", r.Stderr)
		if !strings.Contains(r.Stdout+r.Stderr, visible) {
			t.Errorf("hello %s does not show the name as %q:\nstdout: %s\nstderr: %s", args[0], visible, r.Stdout, r.Stderr)
		}
	}
	// JSON escapes the controls and decodes to the very name signed up with.
	r = u.mustRun("profile", "-o", "json")
	noControls(t, "profile -o json", r.Stdout)
	var p map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil || p["name"] != hostileName {
		t.Errorf("profile -o json: name %q, error %v; want the name as signed up", p["name"], err)
	}
	if got := u.mustRun("profile", "--jq", ".name").Stdout; got != visible+"\n" {
		t.Errorf("profile --jq .name = %q, want %q", got, visible+"\n")
	}
}

// apiServer is a Hello World API that answers every request with h, on
// loopback; hits counts the requests.
func apiServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// huge streams a 50 MB JSON-looking body.
func huge(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"text":"`))
	chunk := []byte(strings.Repeat("x", 1<<16))
	for range 50 << 20 >> 16 {
		if _, err := w.Write(chunk); err != nil {
			return // hello stopped reading, as it should
		}
	}
	_, _ = w.Write([]byte(`"}`))
}

// TestHostileAPIBodies: whatever the API sends, nothing reaches the
// terminal that it would obey, -o json is JSON or an error, and nothing
// is ever cut.
func TestHostileAPIBodies(t *testing.T) {
	t.Parallel()
	const json = "application/json"
	tests := []struct {
		name   string
		h      http.HandlerFunc
		args   []string
		code   int
		stdout string // exact
		stderr string // contained
	}{
		{"escape sequence in text", answer(200, json, `{"text":"\u001b[2J\u001b[31mRED\u0007"}`), nil, 0, "^[[2J^[[31mRED^G\n", ""},
		{"escape sequence as JSON", answer(200, json, `{"text":"\u001b[2J"}`), []string{"-o", "json"}, 0, "{\n  \"text\": \"\\u001b[2J\"\n}\n", ""},
		{"escape sequence through --jq", answer(200, json, `{"text":"\u001b[2J"}`), []string{"--jq", ".text"}, 0, "^[[2J\n", ""},
		{"raw C1 CSI in text", answer(200, json, "{\"text\":\"a\u009b2J\"}"), nil, 0, "a^[[2J\n", ""},
		{"raw C1 CSI as JSON", answer(200, json, "{\"text\":\"a\u009b2J\"}"), []string{"-o", "json"}, 0, "{\n  \"text\": \"a\\u009b2J\"\n}\n", ""},
		{"bidi override", answer(200, json, "{\"text\":\"abc\u202etxt.exe\"}"), nil, 0, "abc<U+202E>txt.exe\n", ""},
		{"multi-line text keeps its lines", answer(200, json, `{"text":"one\ntwo\rthree"}`), nil, 0, "one\ntwo^Mthree\n", ""},
		{"not JSON, -o json", answer(200, "text/html; charset=utf-8", "<html>\x1b[2Jhi</html>"), []string{"-o", "json"}, 1, "", "not JSON (content type text/html)"},
		{"not JSON, text", answer(200, "text/html", "<html>hi</html>"), nil, 1, "", "not JSON (content type text/html)"},
		{"not JSON, --jq", answer(200, "text/plain", "hello"), []string{"--jq", "."}, 1, "", "not JSON (content type text/plain)"},
		{"JSON without text, text mode", answer(200, json, `{"other":1}`), nil, 1, "", "without a message text"},
		{"JSON without text, -o json", answer(200, json, `{"other":1}`), []string{"-o", "json"}, 0, "{\n  \"other\": 1\n}\n", ""},
		{"50 MB body, -o json", huge, []string{"-o", "json"}, 1, "", "more than 1 MiB, more than hello accepts"},
		{"50 MB body, text", huge, nil, 1, "", "more than 1 MiB, more than hello accepts"},
		{"server error with an escape", answer(500, json, `{"message":"boom\u001b[2J\u0007"}`), nil, 3, "", "boom^[[2J^G"},
		{"server error as HTML", answer(502, "text/html", "<h1>Bad\x1b]0;pwned\x07 gateway</h1>"), []string{"-o", "json"}, 3, "", "not available right now"},
		{"not found with an escape", answer(404, "application/json", `{"message":"nope\u001b[2J"}`), nil, 1, "", "nope^[[2J"},
		{"forbidden with an escape", answer(403, json, `{"message":"no\u001b[2J"}`), nil, 5, "", "no^[[2J"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := apiServer(t, tt.h)
			u := newUser(t, nil)
			u.setenv("HELLO_API_URL", srv.URL)
			r := u.run(append([]string{"messages", "public"}, tt.args...)...)
			noControls(t, "stdout", r.Stdout)
			noControls(t, "stderr", r.Stderr)
			if r.Code != tt.code || r.Stdout != tt.stdout || !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q",
					r.Code, r.Stdout, r.Stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestHostileProtectedBody: the authenticated path is just as safe.
func TestHostileProtectedBody(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	srv, _ := apiServer(t, answer(200, "application/json", `{"text":"\u001b[2Jsecret\u0007"}`))
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	for _, args := range [][]string{{}, {"-o", "json"}, {"--jq", ".text"}} {
		r := u.mustRun(append([]string{"messages", "protected", "--api-url", srv.URL}, args...)...)
		noControls(t, fmt.Sprint("messages protected ", args), r.Stdout)
		if !strings.Contains(r.Stdout, "secret") {
			t.Errorf("messages protected %v = %q", args, r.Stdout)
		}
	}
}

// TestJQOnEveryCommand: --jq works wherever -o json does, and a bad
// expression is a usage error found before any request.
func TestJQOnEveryCommand(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"messages", "public", "--jq", ".text"}, "This is a public message.\n"},
		{[]string{"messages", "protected", "--jq", ".text"}, "This is a protected message.\n"},
		{[]string{"messages", "admin", "--jq", "{text}"}, `{"text":"This is an admin message."}` + "\n"},
		{[]string{"profile", "--jq", ".email"}, "alice@example.com\n"},
		{[]string{"profile", "--jq", ".email_verified"}, "true\n"},
		{[]string{"status", "--jq", ".usable"}, "true\n"},
		{[]string{"status", "--jq", ".user"}, "alice@example.com (Alice Example)\n"},
		{[]string{"token", "--jq", ".token_type"}, "Bearer\n"},
		{[]string{"version", "--jq", ".version | type"}, "string\n"},
		{[]string{"status", "-o", "text", "--jq", ".usable"}, "true\n"},
	}
	for _, tt := range tests {
		r := u.run(tt.args...)
		if r.Code != 0 || r.Stdout != tt.want {
			t.Errorf("hello %s: exit %d, stdout %q, stderr %q; want %q", strings.Join(tt.args, " "), r.Code, r.Stdout, r.Stderr, tt.want)
		}
	}

	srv, hits := apiServer(t, answer(200, "application/json", `{"text":"hi"}`))
	for _, args := range [][]string{
		{"messages", "public", "--api-url", srv.URL, "--jq", ".["},
		{"profile", "--jq", "nosuchfunction"},
		{"status", "--jq", ".a |"},
	} {
		r := u.run(args...)
		if r.Code != 2 || r.Stdout != "" || !strings.Contains(r.Stderr, "is not valid jq") {
			t.Errorf("hello %s: exit %d, stdout %q, stderr %q; want exit 2 and a plain message", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("a bad --jq expression still made %d API requests", n)
	}
	// A valid expression that fails on the data is an ordinary failure.
	if r := u.run("messages", "public", "--jq", ".text.x"); r.Code != 1 || r.Stdout != "" {
		t.Errorf("--jq failing on the data: exit %d, stdout %q; want 1 and nothing", r.Code, r.Stdout)
	}
}

// TestPlainWords: each failure the issue lists, through the real binary:
// one sentence that says what happened and what to do, the protocol
// detail (status, OAuth error) only at the end.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	tests := []struct {
		name  string
		setup func(u *user) result
		code  int
		want  string // the start of the message after "hello: "
		not   string // protocol text that must not lead
	}{
		{"device login declined", func(u *user) result {
			bg := u.start("login", "--device")
			approveDevice(t, browserClient(t), bg.WaitStderr(t, deviceURL), "alice@example.com", "alice-password", "deny")
			return bg.Wait(t)
		}, 4, `the login was declined at the provider: to try again, run "hello login" and approve the request (HTTP 400`, "device login: provider answered"},
		{"permission denied", func(u *user) result {
			u.login("bob@example.com", "bob-password")
			return u.run("messages", "admin")
		}, 5, "permission denied: the admin message needs the read:admin-messages permission, which your access token does not carry: ask an administrator", "permission denied (Permission denied)"},
		{"trailing slash on the issuer", func(u *user) result {
			u.setenv("HELLO_ISSUER", sb.Issuer+"/")
			return u.run("login", "--no-browser", "--port", "0")
		}, 1, "the provider at " + sb.Issuer + "/ calls itself " + sb.Issuer + ": set the issuer to exactly " + sb.Issuer, "oidc: issuer did not match"},
		{"unknown client ID", func(u *user) result {
			u.setenv("HELLO_CLIENT_ID", "nobody")
			return u.run("login", "--device")
		}, 4, `the provider does not accept the client ID "nobody" (from environment HELLO_CLIENT_ID): check it, or set HELLO_CLIENT_ID`, "the provider's device authorization endpoint refused"},
		{"machine login with the built-in client", func(u *user) result {
			u.setenv("HELLO_CLIENT_SECRET", "not-a-secret")
			return u.run("login", "--client-credentials")
		}, 4, `the provider refused a machine login as the built-in client "hello-cli", which has no secret: set HELLO_CLIENT_ID`, "token endpoint refused"},
		{"wrong client secret", func(u *user) result {
			u.setenv("HELLO_CLIENT_ID", "hello-ci")
			u.setenv("HELLO_CLIENT_SECRET", "wrong")
			return u.run("login", "--client-credentials")
		}, 4, `the provider refused the client "hello-ci" (from environment HELLO_CLIENT_ID) with this secret: check HELLO_CLIENT_SECRET`, "token endpoint refused"},
		{"API down", func(u *user) result {
			u.setenv("HELLO_API_URL", "http://127.0.0.1:1")
			return u.run("messages", "public")
		}, 3, "the API at http://127.0.0.1:1 could not be reached: check that it is running and the API URL is right (", "Get \""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.setup(newUser(t, sb))
			last := strings.TrimSpace(r.Stderr)
			if i := strings.LastIndex(last, "\nhello: "); i >= 0 {
				last = last[i+1:]
			}
			if r.Code != tt.code || !strings.HasPrefix(last, "hello: "+tt.want) || strings.HasPrefix(last, "hello: "+tt.not) {
				t.Errorf("exit %d, message %q; want exit %d and a message starting %q", r.Code, last, tt.code, tt.want)
			}
			if strings.Count(last, "\n") != 0 {
				t.Errorf("message is more than one line: %q", last)
			}
		})
	}
}

// TestNotLoggedInOnATerminal: a person at a terminal without a session gets
// one sentence that says hello starts a login, not "run hello login" and
// then a login anyway.
func TestNotLoggedInOnATerminal(t *testing.T) {
	t.Parallel()
	needScript(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	// script(1) runs hello on a pseudo-terminal and copies it to stdout.
	bg := u.startProgram("script", "-qefc", helloBin+" messages protected", "/dev/null")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(bg.Stdout.String(), "To log in, open") && time.Now().Before(deadline) {
		select {
		case <-bg.Stdout.Changed():
		case <-time.After(time.Second):
		}
	}
	_ = bg.Cmd.Process.Kill()
	out := bg.Stdout.String()
	if !strings.Contains(out, `You are not logged in: starting "hello login".`) || strings.Contains(out, "not logged in: run") {
		t.Errorf("on a terminal without a session, hello printed:\n%s", out)
	}
}
