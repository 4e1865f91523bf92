package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

// Tests of the scripting commands (exec, api, token --format, --min-ttl,
// profiles) through the real binary against real sandboxes.

// runIn runs hello with stdin and returns what it did.
func (u *user) runIn(stdin string, args ...string) result {
	u.t.Helper()
	r, err := harness.Run(helloBin, u.env, u.dir, strings.NewReader(stdin), args...)
	if err != nil {
		u.t.Fatalf("run hello %v: %v", args, err)
	}
	return r
}

func needSh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc")
	}
}

// TestExecTokenOnlyInEnvironment: the child gets the token in its
// environment, and neither its argv nor hello's (its parent) holds it.
func TestExecTokenOnlyInEnvironment(t *testing.T) {
	t.Parallel()
	needSh(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	tok := strings.TrimSpace(u.mustRun("token").Stdout)

	const script = `printf 'child-argv=%s\n' "$(tr '\0' ' ' < /proc/$$/cmdline)"
printf 'hello-argv=%s\n' "$(tr '\0' ' ' < /proc/$PPID/cmdline)"
printf 'token=%s\n' "$HELLO_ACCESS_TOKEN"
printf 'api=%s\n' "$HELLO_API_URL"
printf 'custom=%s\n' "$MY_TOKEN"`
	r := u.mustRun("exec", "--", "sh", "-c", script)
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		k, v, _ := strings.Cut(l, "=")
		lines[k] = v
	}
	if lines["token"] != tok || lines["api"] != sb.API || lines["custom"] != "" {
		t.Errorf("child environment: token ok=%v, api=%q, custom=%q", lines["token"] == tok, lines["api"], lines["custom"])
	}
	for _, k := range []string{"child-argv", "hello-argv"} {
		if !strings.Contains(lines[k], "sh -c") {
			t.Errorf("%s = %q: not read", k, lines[k])
		}
		if strings.Contains(lines[k], tok) {
			t.Errorf("the token is in %s", k)
		}
	}
	if !strings.Contains(lines["hello-argv"], helloBin+" exec") {
		t.Errorf("the child's parent is not hello: %q", lines["hello-argv"])
	}

	r = u.mustRun("exec", "--env", "MY_TOKEN", "--", "sh", "-c", script)
	if !strings.Contains(r.Stdout, "custom="+tok+"\n") || !strings.Contains(r.Stdout, "token=\n") {
		t.Errorf("--env MY_TOKEN: child saw\n%s", r.Stdout)
	}
	// Standard input is the child's.
	if r := u.runIn("from stdin\n", "exec", "cat"); r.Code != 0 || r.Stdout != "from stdin\n" {
		t.Errorf("exec cat: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// An expired token is renewed before the command runs.
	u.expireToken()
	r = u.mustRun("exec", "--", "sh", "-c", `printf %s "$HELLO_ACCESS_TOKEN"`)
	if r.Stdout == tok || r.Stdout != strings.TrimSpace(u.mustRun("token").Stdout) || sb.grants(t, "refresh_token") != 1 {
		t.Errorf("after expiry: the child got the old token %v, refreshes %d", r.Stdout == tok, sb.grants(t, "refresh_token"))
	}
}

func TestExecExitCodes(t *testing.T) {
	t.Parallel()
	needSh(t)
	sb := startSandbox(t)
	u := newUser(t, sb)

	// Not logged in: exit 4, and the command never runs.
	marker := filepath.Join(u.home, "ran")
	r := u.run("exec", "--", "sh", "-c", "touch "+marker)
	if r.Code != 4 || !strings.Contains(r.Stderr, "not logged in") {
		t.Errorf("not logged in: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran without a session")
	}

	u.login("bob@example.com", "bob-password")
	for _, tc := range []struct {
		args     []string
		wantCode int
		wantErr  string // "" for an empty stderr: the command spoke for itself
	}{
		{[]string{"sh", "-c", "exit 0"}, 0, ""},
		{[]string{"sh", "-c", "exit 7"}, 7, ""},
		{[]string{"sh", "-c", "exit 4"}, 4, ""},
		{[]string{"sh", "-c", "kill -TERM $$"}, 128 + int(syscall.SIGTERM), ""},
		{[]string{"sh", "-c", "kill -KILL $$"}, 128 + int(syscall.SIGKILL), ""},
		{[]string{"hello-no-such-command"}, 127, `command "hello-no-such-command" not found`},
		{[]string{"/dev/null"}, 126, "cannot run"},
	} {
		r := u.run(append([]string{"exec", "--"}, tc.args...)...)
		if r.Code != tc.wantCode {
			t.Errorf("exec %v: exit %d, want %d (stderr %q)", tc.args, r.Code, tc.wantCode, r.Stderr)
		}
		if (tc.wantErr == "" && r.Stderr != "") || !strings.Contains(r.Stderr, tc.wantErr) {
			t.Errorf("exec %v: stderr %q, want %q", tc.args, r.Stderr, tc.wantErr)
		}
	}
	// Flags after the command are the command's.
	if r := u.mustRun("exec", "sh", "-c", `printf %s "$1"`, "sh", "--env"); r.Stdout != "--env" {
		t.Errorf("exec sh … --env: stdout %q", r.Stdout)
	}
	if r := u.run("exec"); r.Code != 2 {
		t.Errorf("exec without a command: exit %d", r.Code)
	}
	if r := u.run("exec", "--env", "1BAD", "--", "true"); r.Code != 2 || !strings.Contains(r.Stderr, "bad --env") {
		t.Errorf("exec --env 1BAD: exit %d, %q", r.Code, r.Stderr)
	}
}

// TestExecForwardsSIGTERM sends SIGTERM to hello: the child gets it, and
// hello exits with the child's code once the child is done.
func TestExecForwardsSIGTERM(t *testing.T) {
	t.Parallel()
	needSh(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("bob@example.com", "bob-password")
	bg := u.start("exec", "--", "sh", "-c", `trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.1; done`)
	waitStdout(t, bg, "ready\n")
	if err := bg.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	if r.Code != 42 || r.Stdout != "ready\ngot-term\n" {
		t.Errorf("after SIGTERM: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func waitStdout(t *testing.T, b *background, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(b.Stdout.String(), want) {
		select {
		case r := <-b.Done:
			b.Done <- r
			t.Fatalf("exited (%d) before printing %q; stderr:\n%s", r.Code, want, r.Stderr)
		case <-b.Stdout.Changed():
		case <-time.After(time.Second):
		case <-deadline:
			t.Fatalf("no %q on stdout in time", want)
		}
	}
}

// echoAPI is an API that answers every request with what it received, after
// checking the bearer token against the sandbox's real API. Paths:
// /unauthorized-once answers 401 to its first request; /unauthorized
// always; /fail 500; /redirect sends the client to elsewhere.
func echoAPI(t *testing.T, sandboxAPI, elsewhere string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var first atomic.Bool
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/unauthorized":
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"message":"Bad credentials"}`)
			return
		case "/unauthorized-once":
			if !first.Swap(true) {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"message":"Bad credentials"}`)
				return
			}
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"message":"Internal Server Error"}`)
			return
		case "/redirect":
			http.Redirect(w, r, elsewhere+"/steal", http.StatusFound)
			return
		}
		check, _ := http.NewRequest(http.MethodGet, sandboxAPI+"/api/messages/protected", nil)
		check.Header.Set("Authorization", r.Header.Get("Authorization"))
		upstream := 0
		if resp, err := http.DefaultClient.Do(check); err == nil {
			upstream = resp.StatusCode
			resp.Body.Close()
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"content_type": r.Header.Get("Content-Type"), "trace": r.Header.Get("X-Trace"),
			"body": string(body), "token_accepted": upstream == http.StatusOK,
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// counter is a server that must never be called: it stands for an origin
// that is not the API.
func counter(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			t.Errorf("another origin received a token: %s %s", r.Method, r.URL)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestAPIAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	alice := newUser(t, sb)
	alice.login("alice@example.com", "alice-password")
	r := alice.mustRun("api", "/api/messages/admin")
	var m map[string]string
	if err := json.Unmarshal([]byte(r.Stdout), &m); err != nil || m["text"] != "This is an admin message." {
		t.Errorf("api /api/messages/admin: %q (%v)", r.Stdout, err)
	}
	r = alice.mustRun("api", "-i", "api/messages/public")
	if !strings.HasPrefix(r.Stdout, "HTTP/1.1 200 OK\n") || !regexp.MustCompile(`(?m)^Content-Type: application/json`).MatchString(r.Stdout) ||
		!strings.Contains(r.Stdout, "\n\n{\"text\":\"This is a public message.\"}") {
		t.Errorf("api -i:\n%s", r.Stdout)
	}
	r = alice.mustRun("-o", "json", "api", "/api/messages/protected")
	if r.Stdout != "{\n  \"text\": \"This is a protected message.\"\n}\n" {
		t.Errorf("-o json api: %q", r.Stdout)
	}
	// --jq: a string result prints raw; a bad expression is exit 2 before
	// any request.
	if r := alice.mustRun("api", "/api/messages/admin", "--jq", ".text"); r.Stdout != "This is an admin message.\n" {
		t.Errorf("api --jq .text: %q", r.Stdout)
	}
	if r := alice.run("api", "/api/messages/admin", "--jq", ".["); r.Code != 2 {
		t.Errorf("api --jq .[: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if r := alice.mustRun("token", "--jq", ".token_type"); r.Stdout != "Bearer\n" {
		t.Errorf("token --jq .token_type: %q", r.Stdout)
	}

	bob := newUser(t, sb)
	bob.login("bob@example.com", "bob-password")
	r = bob.run("api", "/api/messages/admin")
	if r.Code != 5 || !strings.Contains(r.Stdout, "Permission denied") || !strings.Contains(r.Stderr, "permission denied") {
		t.Errorf("bob api admin: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = bob.run("api", "/api/nothing-here")
	if r.Code != 1 || !strings.Contains(r.Stdout, "Not Found") || !strings.Contains(r.Stderr, "HTTP 404") {
		t.Errorf("api 404: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestAPIMethodsBodiesAndHeaders(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	elsewhere, hits := counter(t)
	api, _ := echoAPI(t, sb.API, elsewhere.URL)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	u.setenv("HELLO_API_URL", api.URL)
	input := filepath.Join(u.dir, "body.json")
	if err := os.WriteFile(input, []byte(`{"from":"file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	type echo struct {
		Method, Path, Query, Body, Trace string
		ContentType                      string `json:"content_type"`
		TokenAccepted                    bool   `json:"token_accepted"`
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  echo
	}{
		{"GET", "", []string{"/things?x=1"}, echo{Method: "GET", Path: "/things", Query: "x=1"}},
		{"POST with fields", "", []string{"-X", "post", "/things", "-f", "name=first", "-f", "n=2"}, echo{Method: "POST", Path: "/things", Body: `{"n":"2","name":"first"}`, ContentType: "application/json"}},
		{"fields make a POST", "", []string{"/things", "-f", "a=b"}, echo{Method: "POST", Path: "/things", Body: `{"a":"b"}`, ContentType: "application/json"}},
		{"GET with fields", "", []string{"-X", "GET", "/things", "-f", "q=a b"}, echo{Method: "GET", Path: "/things", Query: "q=a+b"}},
		{"PUT from a file", "", []string{"-X", "PUT", "/things/1", "--input", input}, echo{Method: "PUT", Path: "/things/1", Body: `{"from":"file"}`, ContentType: "application/json"}},
		{"PATCH from stdin", "patch body", []string{"-X", "PATCH", "/things/1", "--input", "-", "-H", "Content-Type: text/plain"}, echo{Method: "PATCH", Path: "/things/1", Body: "patch body", ContentType: "text/plain"}},
		{"DELETE with a header", "", []string{"-X", "DELETE", "/things/1", "-H", "X-Trace: t-123"}, echo{Method: "DELETE", Path: "/things/1", Trace: "t-123"}},
		{"401 renewed and retried", "", []string{"/unauthorized-once"}, echo{Method: "GET", Path: "/unauthorized-once"}},
	} {
		r := u.runIn(tc.stdin, append([]string{"api"}, tc.args...)...)
		if r.Code != 0 {
			t.Errorf("%s: exit %d, stderr %q", tc.name, r.Code, r.Stderr)
			continue
		}
		var got echo
		if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
			t.Errorf("%s: %q: %v", tc.name, r.Stdout, err)
			continue
		}
		tc.want.TokenAccepted = true // a real token from the sandbox, every time
		if got != tc.want {
			t.Errorf("%s: the API received %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if r := u.mustRun("api", "-X", "HEAD", "/things"); r.Stdout != "" {
		t.Errorf("HEAD printed %q", r.Stdout)
	}
	if got := sb.grants(t, "refresh_token"); got != 1 {
		t.Errorf("refreshes = %d, want 1 (the 401 retry)", got)
	}

	// Refused before anything is sent: other origins, a token header.
	for _, target := range []string{"https://evil.example.com/x", elsewhere.URL + "/x", "//" + strings.TrimPrefix(elsewhere.URL, "http://") + "/x"} {
		r := u.run("api", target)
		if r.Code != 2 || !strings.Contains(r.Stderr, "refusing to send your access token to") {
			t.Errorf("api %s: exit %d, stderr %q", target, r.Code, r.Stderr)
		}
	}
	if r := u.run("api", "/x", "-H", "Authorization: Bearer mine"); r.Code != 2 {
		t.Errorf("-H Authorization: exit %d", r.Code)
	}
	// A redirect to another origin is not followed.
	if r := u.run("api", "/redirect"); r.Code != 1 || !strings.Contains(r.Stderr, "does not follow") {
		t.Errorf("api /redirect: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if hits.Load() != 0 {
		t.Errorf("the other origin was called %d times", hits.Load())
	}
	// Status codes as for messages.
	for _, tc := range []struct {
		path string
		code int
	}{{"/unauthorized", 4}, {"/fail", 3}} {
		if r := u.run("api", tc.path); r.Code != tc.code || !strings.Contains(r.Stdout, "message") {
			t.Errorf("api %s: exit %d, want %d (stdout %q, stderr %q)", tc.path, r.Code, tc.code, r.Stdout, r.Stderr)
		}
	}
}

func TestTokenFormatsParseBack(t *testing.T) {
	t.Parallel()
	needSh(t)
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	raw := u.mustRun("token", "--format", "raw").Stdout
	tok := strings.TrimSuffix(raw, "\n")
	if tok == "" || strings.Contains(tok, "\n") || u.mustRun("token").Stdout != raw {
		t.Fatalf("raw: %q", raw)
	}

	// header: what curl -H @- reads, accepted by the API.
	header := u.mustRun("token", "--format", "header").Stdout
	name, value, ok := strings.Cut(strings.TrimSuffix(header, "\n"), ": ")
	if !ok || name != "Authorization" || value != "Bearer "+tok {
		t.Fatalf("header: %q", header)
	}
	req := newRequest(t, sb.API+"/api/messages/protected")
	req.Header.Set(name, value)
	do(t, req, http.StatusOK)

	// env: evaluated by a real shell.
	for _, args := range [][]string{{"token", "--format", "env"}, {"token", "--format", "env", "--env", "TOK"}} {
		line := u.mustRun(args...).Stdout
		v := "HELLO_ACCESS_TOKEN"
		if len(args) > 3 {
			v = args[4]
		}
		out, err := exec.Command("sh", "-c", line+`printf %s "$`+v+`"`).Output()
		if err != nil || string(out) != tok {
			t.Errorf("%v: %q evaluated to %q (%v)", args, line, out, err)
		}
	}

	// json: token, type, expiry, seconds left, scopes.
	var j struct {
		AccessToken string    `json:"access_token"`
		TokenType   string    `json:"token_type"`
		Expiry      time.Time `json:"expiry"`
		ExpiresIn   int       `json:"expires_in"`
		Scopes      []string  `json:"scopes"`
	}
	out := u.mustRun("token", "--format", "json").Stdout
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("json: %q: %v", out, err)
	}
	left := time.Until(j.Expiry)
	if j.AccessToken != tok || j.TokenType != "Bearer" || left < 50*time.Minute || left > time.Hour+time.Minute ||
		j.ExpiresIn < 3000 || j.ExpiresIn > 3600 || !strings.Contains(strings.Join(j.Scopes, " "), "openid") {
		t.Errorf("json: %+v", j)
	}
	if r := u.run("token", "--format", "yaml"); r.Code != 2 || !strings.Contains(r.Stderr, "raw, header, env, json") {
		t.Errorf("--format yaml: exit %d, %q", r.Code, r.Stderr)
	}
}

// setExpiry makes the cached access token expire in d, as it would later in
// its life, without waiting.
func (u *user) setExpiry(d time.Duration) {
	u.t.Helper()
	e := u.cacheFile()
	tok, ok := e["token"].(map[string]any)
	if !ok {
		u.t.Fatal("the cache entry has no token fields")
	}
	tok["expiry"] = time.Now().Add(d).UTC().Format(time.RFC3339)
	b, err := json.Marshal(e)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(u.cachePath(), b, 0o600); err != nil {
		u.t.Fatal(err)
	}
}

// TestMinTTL: each command renews exactly once when less than --min-ttl
// remains, not at all when enough does, and status --min-ttl exits 4 when
// the provider's tokens cannot last that long.
func TestMinTTL(t *testing.T) {
	t.Parallel()
	needSh(t)
	sb := startSandbox(t) // access tokens live 1h
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	refreshes := func() int { return sb.grants(t, "refresh_token") }

	before := u.mustRun("token").Stdout
	u.mustRun("token", "--min-ttl", "30m")
	if n := refreshes(); n != 0 {
		t.Fatalf("a fresh 1h token with --min-ttl 30m was renewed %d times", n)
	}
	want := 0
	for _, args := range [][]string{
		{"token", "--min-ttl", "30m"},
		{"exec", "--min-ttl", "30m", "--", "true"},
		{"api", "--min-ttl", "30m", "/api/messages/protected"},
		{"status", "--min-ttl", "30m"},
	} {
		u.setExpiry(5 * time.Minute)
		u.mustRun(args...)
		want++
		if n := refreshes(); n != want {
			t.Errorf("%v with 5m left: %d refreshes in all, want %d", args, n, want)
		}
		u.mustRun(args...) // now 1h is left: no renewal
		if n := refreshes(); n != want {
			t.Errorf("%v again: %d refreshes in all, want %d", args, n, want)
		}
	}
	if after := u.mustRun("token").Stdout; after == before {
		t.Error("the token was never renewed")
	}

	r := u.run("status", "--min-ttl", "2h")
	if r.Code != 4 || !strings.Contains(r.Stderr, "cannot provide a token valid for 2h0m0s") {
		t.Errorf("status --min-ttl 2h: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if n := refreshes(); n != want+1 {
		t.Errorf("status --min-ttl 2h: %d refreshes in all, want %d (one attempt)", n, want+1)
	}
	if r := u.run("token", "--min-ttl", "-1s"); r.Code != 2 {
		t.Errorf("--min-ttl -1s: exit %d", r.Code)
	}
}

// TestProfilesSideBySide keeps sessions with two sandboxes at once, and one
// more for a profile with the same settings as another: each profile has
// its own sessions.
func TestProfilesSideBySide(t *testing.T) {
	t.Parallel()
	sbA, sbB := startSandbox(t), startSandbox(t)
	u := newUser(t, nil)
	u.writeFile(".config", "[AUTH0]\nISSUER="+sbA.Issuer+"\n[WEBAPP]\nAPI_SERVER_URL="+sbA.API+"\n\n"+
		"[profile a]\nISSUER="+sbA.Issuer+"\nAPI_SERVER_URL="+sbA.API+"\n\n"+
		"[profile b]\nISSUER="+sbB.Issuer+"\nAPI_SERVER_URL="+sbB.API+"\n")
	u.login("bob@example.com", "bob-password", "--profile", "a")
	u.login("alice@example.com", "alice-password", "--profile", "b")

	if r := u.mustRun("--profile", "a", "messages", "protected"); r.Stdout != "This is a protected message.\n" {
		t.Errorf("profile a: %q", r.Stdout)
	}
	if r := u.mustRun("--profile", "b", "messages", "admin"); r.Stdout != "This is an admin message.\n" {
		t.Errorf("profile b (alice): %q", r.Stdout)
	}
	// The default profile names the same sandbox as a, yet has no session.
	if r := u.run("messages", "protected"); r.Code != 4 {
		t.Errorf("default profile: exit %d, want 4 (its own sessions)", r.Code)
	}

	if r := u.mustRun("--profile", "b", "status"); !strings.Contains(r.Stdout, "alice@example.com") || !strings.Contains(r.Stdout, "b (from flag --profile)") {
		t.Errorf("status --profile b:\n%s", r.Stdout)
	}
	env := newUser(t, nil)
	env.home, env.dir = u.home, u.dir
	env.env = append(append([]string(nil), u.env...), "HELLO_PROFILE=a")
	if r := env.mustRun("status"); !strings.Contains(r.Stdout, "bob@example.com") || !strings.Contains(r.Stdout, "a (from environment HELLO_PROFILE)") {
		t.Errorf("HELLO_PROFILE=a status:\n%s", r.Stdout)
	}
	if r := u.run("status"); r.Code != 4 || !strings.Contains(r.Stdout, "default (the default") {
		t.Errorf("default status: exit %d\n%s", r.Code, r.Stdout)
	}
	if r := u.run("--profile", "c", "status"); r.Code != 2 || !strings.Contains(r.Stderr, "its profiles are a, b, and default") {
		t.Errorf("unknown profile: exit %d, %q", r.Code, r.Stderr)
	}

	var all []struct {
		Profile, Issuer, User string
		Usable                bool
	}
	out := u.mustRun("-o", "json", "status", "--all").Stdout
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("status --all -o json: %q: %v", out, err)
	}
	got := map[string]string{}
	for _, s := range all {
		if !s.Usable {
			t.Errorf("%+v not usable", s)
		}
		got[s.Profile] = s.Issuer + " " + s.User
	}
	if len(all) != 2 || !strings.HasPrefix(got["a"], sbA.Issuer+" bob@example.com") || !strings.HasPrefix(got["b"], sbB.Issuer+" alice@example.com") {
		t.Errorf("status --all: %+v", all)
	}
	if text := u.mustRun("status", "--all").Stdout; !regexp.MustCompile(`(?m)^b\s+` + regexp.QuoteMeta(sbB.Issuer) + `\s+\S+\s+alice@example.com .*\s+yes$`).MatchString(text) {
		t.Errorf("status --all text:\n%s", text)
	}

	// logout --all ends both sessions, revoking their refresh tokens.
	refresh := map[string]string{}
	for _, p := range []string{"a", "b"} {
		m := profileEntry(t, u, p)
		refresh[p], _ = m["refresh_token"].(string)
	}
	r := u.mustRun("logout", "--all")
	if strings.Count(r.Stderr, "Revoked the refresh token.") != 2 || strings.Count(r.Stderr, "Removed the cached session.") != 2 {
		t.Errorf("logout --all:\n%s", r.Stderr)
	}
	for p, sb := range map[string]*sandbox{"a": sbA, "b": sbB} {
		if refresh[p] == "" {
			t.Errorf("profile %s had no refresh token", p)
			continue
		}
		resp, err := http.PostForm(sb.Issuer+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"hello-cli"}, "refresh_token": {refresh[p]}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("profile %s: the refresh token still works after logout --all", p)
		}
	}
	if r := u.run("status", "--all"); r.Code != 4 || !strings.Contains(r.Stdout, "No cached sessions") {
		t.Errorf("status --all after logout --all: exit %d\n%s", r.Code, r.Stdout)
	}
}

// profileEntry reads profile p's one cache entry with its token fields.
func profileEntry(t *testing.T, u *user, p string) map[string]any {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(u.home, ".cache", "hello", "profiles", p, "*.json"))
	if len(matches) != 1 {
		t.Fatalf("profile %s: want one cache entry, found %v", p, matches)
	}
	f, err := os.Open(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var m map[string]any
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&m); err != nil {
		t.Fatal(err)
	}
	tok, _ := m["token"].(map[string]any)
	return tok
}
