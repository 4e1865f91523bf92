package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// The scripting commands (api, token --format, status --all) hold to the
// output rules too: nothing a server sends is obeyed by the terminal or by
// the next program, -o json is JSON or a non-zero exit, and every message
// is one line.

// oneLine fails the test unless stderr is exactly one line.
func oneLine(t *testing.T, what, stderr string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("%s: stderr is not one line: %q", what, stderr)
	}
}

// rewritingProvider fronts a sandbox provider and passes every answer
// through rewrite; its discovery document names the front's own URL, so
// that all of hello's requests pass through it.
func rewritingProvider(t *testing.T, sb *sandbox, rewrite func(path, body string) string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(sb.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	// Unstarted until front is set: the handler reads its URL.
	var front *httptest.Server
	front = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		body := rec.Body.String()
		if r.URL.Path == "/.well-known/openid-configuration" {
			body = strings.ReplaceAll(body, sb.Issuer, front.URL)
		}
		body = rewrite(r.URL.Path, body)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, body)
	}))
	front.Start()
	t.Cleanup(front.Close)
	return front
}

// TestTokenHeaderRefusesHostileType: a provider whose token_type carries an
// escape sequence and a second header line. --format header would print
// both, to a terminal or into curl -H @-; it refuses instead, while json
// escapes the type.
func TestTokenHeaderRefusesHostileType(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	const hostileType = `Bearer\u001b[2J\r\nX-Injected: 1`
	front := rewritingProvider(t, sb, func(_, body string) string {
		return strings.ReplaceAll(body, `"token_type":"Bearer"`, `"token_type":"`+hostileType+`"`)
	})
	u := newUser(t, sb)
	u.setenv("HELLO_ISSUER", front.URL)
	u.setenv("HELLO_CLIENT_ID", "hello-ci")
	u.setenv("HELLO_CLIENT_SECRET", "hello-ci-secret")
	u.mustRun("login", "--client-credentials")

	r := u.run("token", "--format", "header")
	noControls(t, "token --format header stdout", r.Stdout)
	noControls(t, "token --format header stderr", r.Stderr)
	if r.Code != 1 || r.Stdout != "" || strings.Contains(r.Stdout, "X-Injected") {
		t.Errorf("token --format header with a hostile token type: exit %d, stdout %q; want exit 1 and nothing printed", r.Code, r.Stdout)
	}
	oneLine(t, "token --format header", r.Stderr)
	if !strings.Contains(r.Stderr, "token type") || !strings.Contains(r.Stderr, "--format raw") {
		t.Errorf("token --format header: stderr %q does not say what is wrong and what to do", r.Stderr)
	}
	// The token itself is fine: raw and json still print it.
	if r := u.mustRun("token", "--format", "raw"); r.Stdout == "" {
		t.Error("token --format raw printed nothing")
	}
	r = u.mustRun("token", "--format", "json")
	noControls(t, "token --format json", r.Stdout)
	if !strings.Contains(r.Stdout, `"token_type": "Bearer\u001b[2J\r\nX-Injected: 1"`) {
		t.Errorf("token --format json does not escape the type: %q", r.Stdout)
	}
}

// TestServerTextIsOneLine: a server's error description with a line break
// cannot add a line of its own (a forged "hello: ..." message) to stderr.
func TestServerTextIsOneLine(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	const forged = `{"message":"boom\nhello: all is well\u001b[2J"}`
	srv, _ := apiServer(t, answer(500, "application/json", forged))
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	for _, args := range [][]string{
		{"messages", "public"},
		{"messages", "protected"},
		{"api", "/anything"},
		{"api", "-o", "json", "/anything"},
	} {
		r := u.run(append(args, "--api-url", srv.URL)...)
		what := strings.Join(args, " ")
		noControls(t, what+" stderr", r.Stderr)
		oneLine(t, what, r.Stderr)
		if r.Code != 3 || !strings.Contains(r.Stderr, `boom^Jhello: all is well^[[2J`) {
			t.Errorf("%s: exit %d, stderr %q; want exit 3 and the server's words on the same line", what, r.Code, r.Stderr)
		}
	}

	// The same for an error the provider sends back to the callback.
	bg := u.start("login", "--no-browser", "--port", "0")
	authURL, err := url.Parse(bg.WaitStderr(t, loginURL))
	if err != nil {
		t.Fatal(err)
	}
	q := authURL.Query()
	back := url.Values{"state": {q.Get("state")}, "error": {"access_denied"}, "error_description": {"no\nhello: Logged in as admin."}}
	resp, err := http.Get(q.Get("redirect_uri") + "?" + back.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := bg.Wait(t)
	if r.Code != 4 || strings.Contains(r.Stderr, "\nhello: Logged in") || !strings.Contains(r.Stderr, "(access_denied: no^Jhello: Logged in as admin.)") {
		t.Errorf("declined login with a two-line description: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// TestAPIJSONExitCodes: with -o json (or --jq) an error answer that is not
// JSON prints nothing and keeps the exit code of its status, as
// "hello messages" does: 3 for 5xx (a script retries), 5 for 403.
func TestAPIJSONExitCodes(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	tests := []struct {
		status int
		code   int
		stderr string
	}{
		{502, 3, "not available right now"},
		{503, 3, "not available right now"},
		{403, 5, "permission denied"},
		{404, 1, "HTTP 404"},
	}
	for _, tt := range tests {
		srv, _ := apiServer(t, answer(tt.status, "text/html", "<h1>\x1b[2Jno</h1>"))
		for _, out := range [][]string{{"-o", "json"}, {"--jq", ".text"}} {
			args := append([]string{"api", "--api-url", srv.URL, "/x"}, out...)
			r := u.run(args...)
			what := strings.Join(args[3:], " ")
			noControls(t, what+" stderr", r.Stderr)
			if r.Code != tt.code || r.Stdout != "" || !strings.Contains(r.Stderr, tt.stderr) {
				t.Errorf("HTTP %d, %s: exit %d, stdout %q, stderr %q; want exit %d, nothing on stdout, stderr with %q",
					tt.status, what, r.Code, r.Stdout, r.Stderr, tt.code, tt.stderr)
			}
		}
	}
	// A 2xx answer that is not JSON is still exit 1, naming its type.
	srv, _ := apiServer(t, answer(200, "text/html", "<h1>hi</h1>"))
	if r := u.run("api", "--api-url", srv.URL, "-o", "json", "/x"); r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, "not JSON") {
		t.Errorf("200 text/html with -o json: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestAPIIncludeIsNotJSON: --include puts the status line and headers on
// stdout, which no JSON reader accepts; with -o json or --jq it is a usage
// error found before any request. Alone, it shows a hostile header safely.
func TestAPIIncludeIsNotJSON(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	srv, hits := apiServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Evil", "a\u009b2J b\u202ec")
		_, _ = io.WriteString(w, `{"text":"hi"}`)
	})
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	u.setenv("HELLO_API_URL", srv.URL)
	for _, args := range [][]string{
		{"api", "-i", "-o", "json", "/x"},
		{"-o", "json", "api", "--include", "/x"},
		{"api", "-i", "--jq", ".text", "/x"},
	} {
		r := u.run(args...)
		if r.Code != 2 || r.Stdout != "" || !strings.Contains(r.Stderr, "--include") {
			t.Errorf("hello %s: exit %d, stdout %q, stderr %q; want exit 2 and nothing on stdout", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("a refused --include made %d requests", n)
	}
	r := u.mustRun("api", "-i", "/x")
	noControls(t, "api -i stdout", r.Stdout)
	if !strings.Contains(r.Stdout, "X-Evil: a^[[2J b<U+202E>c\n") || !strings.HasSuffix(r.Stdout, "\n\n{\"text\":\"hi\"}\n") {
		t.Errorf("api -i: %q", r.Stdout)
	}
	r = u.mustRun("-o", "json", "api", "/x")
	if r.Stdout != "{\n  \"text\": \"hi\"\n}\n" {
		t.Errorf("-o json api: %q", r.Stdout)
	}
}

// TestAPIPlainWords: hello api's own failures say what happened and what
// to do, the protocol detail last.
func TestAPIPlainWords(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	notJSON, _ := apiServer(t, answer(200, "text/html; charset=utf-8", "<h1>hi</h1>"))
	big, _ := apiServer(t, huge)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not JSON with -o json", []string{"api", "--api-url", notJSON.URL, "-o", "json", "/x"},
			"hello: the API's answer to GET /x is not JSON: run the command without -o json and --jq to see it (content type text/html)\n"},
		{"not JSON with --jq", []string{"api", "--api-url", notJSON.URL, "--jq", ".", "/x"},
			"hello: the API's answer to GET /x is not JSON: run the command without -o json and --jq to see it (content type text/html)\n"},
		{"missing --input file", []string{"api", "--api-url", notJSON.URL, "--input", "no-such-file", "/x"},
			"hello: cannot read the --input file no-such-file: check its name and permissions (open no-such-file: no such file or directory)\n"},
		{"too large", []string{"api", "--api-url", big.URL, "/x"},
			"hello: the API's answer to GET /x is larger than 16 MiB, more than hello api accepts: fetch it with curl -H @- and \"hello token --format header\"\n"},
	}
	for _, tt := range tests {
		r := u.run(tt.args...)
		if r.Code != 1 || r.Stdout != "" || r.Stderr != tt.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", tt.name, r.Code, r.Stdout, r.Stderr, tt.want)
		}
	}
}

// TestExecPlainWords: a command hello exec cannot start gets one sentence
// that says what to check, the system's error last.
func TestExecPlainWords(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	r := u.run("exec", "--", "/dev/null")
	if r.Code != 126 || !strings.HasPrefix(r.Stderr, `hello: cannot run "/dev/null": check that it is a program you may execute (`) {
		t.Errorf("exec -- /dev/null: exit %d, stderr %q", r.Code, r.Stderr)
	}
	oneLine(t, "exec -- /dev/null", r.Stderr)
}
