package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hello-cli/hello/internal/apirequest"
	"github.com/hello-cli/hello/internal/childprocess"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/jq"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// fakeTokens is a session double: it hands out tok, or a renewed one when
// asked for more lifetime than tok has, and records every request.
type fakeTokens struct {
	tok, renewed *token.Token
	err          error
	wants        []session.Want
}

func (f *fakeTokens) Token(_ context.Context, w session.Want) (*token.Token, error) {
	f.wants = append(f.wants, w)
	if f.err != nil {
		return nil, f.err
	}
	if f.renewed != nil && (w.Stale != "" || (w.MinTTL > 0 && !f.tok.ValidFor(testNow, w.MinTTL))) {
		return f.renewed, nil
	}
	return f.tok, nil
}

func now() time.Time { return testNow }

func TestExecRun(t *testing.T) {
	t.Parallel()
	tok := &token.Token{AccessToken: "at-1", Expiry: testNow.Add(time.Hour)}
	for _, tc := range []struct {
		name     string
		tokens   *fakeTokens
		minTTL   time.Duration
		code     int
		runErr   error
		wantCode int
		wantRun  bool
	}{
		{name: "success", tokens: &fakeTokens{tok: tok}, wantRun: true},
		{name: "the child's code", tokens: &fakeTokens{tok: tok}, code: 9, wantCode: 9, wantRun: true},
		{name: "killed by SIGTERM", tokens: &fakeTokens{tok: tok}, code: 143, wantCode: 143, wantRun: true},
		{name: "not found", tokens: &fakeTokens{tok: tok}, runErr: &childprocess.StartError{Name: "x", Err: errNotFound}, wantCode: 127, wantRun: true},
		{name: "not logged in: never runs", tokens: &fakeTokens{err: session.ErrNotLoggedIn}, wantCode: 4},
		{name: "min-ttl the provider cannot give", tokens: &fakeTokens{tok: tok}, minTTL: 2 * time.Hour, wantCode: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, _, _ := iostreams.Test()
			var ran *childprocess.Command
			o := &ExecOptions{EnvName: "TOK", MinTTL: tc.minTTL, Command: []string{"prog", "a", "b"}, IO: io, APIURL: "http://api", Profile: "staging",
				Now: now, Token: tc.tokens.Token, Environ: func() []string { return []string{"PATH=/bin"} },
				Run: func(c childprocess.Command) (int, error) { ran = &c; return tc.code, tc.runErr }}
			err := execRun(t.Context(), o)
			if got := exitCodeOf(t, err); got != tc.wantCode {
				t.Errorf("exit %d (%v), want %d", got, err, tc.wantCode)
			}
			if (ran != nil) != tc.wantRun {
				t.Fatalf("ran = %v, want %v", ran != nil, tc.wantRun)
			}
			if ran == nil {
				return
			}
			want := childprocess.Command{Name: "prog", Args: []string{"a", "b"}, Env: []string{"PATH=/bin"},
				Set: []childprocess.Var{{Name: "TOK", Value: "at-1"}, {Name: "HELLO_API_URL", Value: "http://api"}, {Name: "HELLO_PROFILE", Value: "staging"}}}
			got := *ran
			got.Stdin, got.Stdout, got.Stderr = nil, nil, nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
		})
	}
}

var errNotFound = &exec.Error{Name: "x", Err: exec.ErrNotFound}

// exitCodeOf is the exit code hello would end with for err.
func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	if code, ok := silentCode(err); ok {
		return code
	}
	return exitCode(t.Context(), err)
}

func TestTokenWithin(t *testing.T) {
	t.Parallel()
	short := &token.Token{AccessToken: "old", Expiry: testNow.Add(5 * time.Minute)}
	long := &token.Token{AccessToken: "new", Expiry: testNow.Add(time.Hour)}
	ft := &fakeTokens{tok: short, renewed: long}
	got, err := tokenWithin(t.Context(), ft.Token, now, 30*time.Minute)
	if err != nil || got.AccessToken != "new" {
		t.Fatalf("tokenWithin = %v, %v", got, err)
	}
	if diff := cmp.Diff([]session.Want{{MinTTL: 30 * time.Minute}}, ft.wants); diff != "" {
		t.Errorf("asked the session (-want +got):\n%s", diff)
	}
	_, err = tokenWithin(t.Context(), ft.Token, now, 2*time.Hour)
	var mt *MinTTLError
	if !errors.As(err, &mt) || exitCode(t.Context(), err) != 4 || !strings.Contains(err.Error(), "valid for 2h0m0s") || !strings.Contains(err.Error(), "for 1h0m0s") {
		t.Errorf("2h: %v", err)
	}
}

func TestTokenRunFormats(t *testing.T) {
	t.Parallel()
	at := jwt(`{"sub":"alice","scope":"openid profile"}`)
	tok := &token.Token{AccessToken: at, TokenType: "bearer", Expiry: testNow.Add(time.Hour)}
	for _, tc := range []struct {
		format string
		json   bool
		env    string
		want   string
	}{
		{"", false, "", at + "\n"},
		{"raw", true, "", at + "\n"},
		{"header", false, "", "Authorization: Bearer " + at + "\n"},
		{"env", false, "HELLO_ACCESS_TOKEN", "export HELLO_ACCESS_TOKEN='" + at + "'\n"},
		{"env", false, "T", "export T='" + at + "'\n"},
	} {
		io, _, out, _ := iostreams.Test()
		o := &TokenOptions{Format: tc.format, EnvName: tc.env, IO: io, JSON: tc.json, Now: now, Token: (&fakeTokens{tok: tok}).Token}
		if err := tokenRun(t.Context(), o); err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		if out.String() != tc.want {
			t.Errorf("%q: %q, want %q", tc.format, out, tc.want)
		}
	}
	// -o json alone means --format json; scopes come from the token's claim.
	io, _, out, _ := iostreams.Test()
	if err := tokenRun(t.Context(), &TokenOptions{IO: io, JSON: true, Now: now, Token: (&fakeTokens{tok: tok}).Token}); err != nil {
		t.Fatal(err)
	}
	var j map[string]any
	if err := json.Unmarshal(out.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j["access_token"] != at || j["expires_in"] != 3600.0 || !cmp.Equal(j["scopes"], []any{"openid", "profile"}) {
		t.Errorf("json: %v", j)
	}
}

func TestAPIRun(t *testing.T) {
	t.Parallel()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/forbidden":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"message":"Permission denied"}`)
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/gone":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Not Found"}`)
		case "/html":
			_, _ = io.WriteString(w, "<html>\x1b[2J</html>")
		default:
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name     string
		spec     apirequest.Spec
		include  bool
		json     bool
		wantOut  string
		wantCode int
		wantSeen string
	}{
		{name: "get", spec: apirequest.Spec{Path: "/x"}, wantOut: `{"ok":true}` + "\n", wantSeen: "GET /x "},
		{name: "post fields", spec: apirequest.Spec{Path: "/x", Fields: []string{"a=1"}}, wantOut: `{"ok":true}`, wantSeen: `POST /x {"a":"1"}`},
		{name: "include", spec: apirequest.Spec{Path: "/x"}, include: true, wantOut: "HTTP/1.1 200 OK\nContent-Length: 11\nContent-Type: application/json\n", wantSeen: "GET /x "},
		{name: "json", spec: apirequest.Spec{Path: "/x"}, json: true, wantOut: "{\n  \"ok\": true\n}\n", wantSeen: "GET /x "},
		{name: "json of html", spec: apirequest.Spec{Path: "/html"}, json: true, wantCode: 1, wantSeen: "GET /html "},
		{name: "html made safe", spec: apirequest.Spec{Path: "/html"}, wantOut: "<html>^[[2J</html>", wantSeen: "GET /html "},
		{name: "403 is 5", spec: apirequest.Spec{Path: "/forbidden"}, wantOut: "Permission denied", wantCode: 5, wantSeen: "GET /forbidden "},
		{name: "503 is 3", spec: apirequest.Spec{Path: "/down"}, wantCode: 3, wantSeen: "GET /down "},
		{name: "404 is 1", spec: apirequest.Spec{Path: "/gone"}, wantOut: "Not Found", wantCode: 1, wantSeen: "GET /gone "},
		{name: "other origin: nothing sent", spec: apirequest.Spec{Path: "https://evil.example.com/"}, wantCode: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			io, _, out, _ := iostreams.Test()
			ft := &fakeTokens{tok: &token.Token{AccessToken: "at", Expiry: testNow.Add(time.Hour)}}
			o := &APIOptions{Request: tc.spec, Include: tc.include, IO: io, JSON: tc.json, Now: now, APIURL: srv.URL,
				Token: ft.Token, Client: func(context.Context) (*http.Client, error) {
					return session.Client(srv.Client(), ft, srv.URL), nil
				}}
			err := apiRun(t.Context(), o)
			if got := exitCode(t.Context(), err); got != tc.wantCode {
				t.Errorf("exit %d (%v), want %d", got, err, tc.wantCode)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("stdout %q, want %q", out, tc.wantOut)
			}
			if got := strings.Join(seen, "|"); got != tc.wantSeen {
				t.Errorf("server saw %q, want %q", got, tc.wantSeen)
			}
			if tc.wantCode == 2 && len(ft.wants) != 0 {
				t.Error("a refused request touched the session")
			}
		})
	}
}

func TestStatusAll(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	mk := func(profile, dir, issuer, user string, tok token.Token, dead bool) CachedSession {
		st := tokencache.New(dir)
		k := tokencache.Key{Issuer: issuer, ClientID: "hello-cli"}
		if err := st.Save(k, &tokencache.Entry{Token: tok, User: user, Dead: dead}); err != nil {
			t.Fatal(err)
		}
		return CachedSession{Profile: profile, Session: &session.Session{Store: st, Key: k}}
	}
	live := token.Token{AccessToken: "a", RefreshToken: "r", Expiry: testNow.Add(time.Hour), Grant: token.GrantAuthorizationCode}
	expired := token.Token{AccessToken: "a", Expiry: testNow.Add(-time.Hour), Grant: token.GrantAuthorizationCode}
	list := []CachedSession{
		mk("default", base, "https://one.example.com/", "alice@example.com", live, false),
		mk("prod", filepath.Join(base, "profiles", "prod"), "https://two.example.com/", "bob\x1b[2J", expired, false),
		mk("staging", filepath.Join(base, "profiles", "staging"), "https://three.example.com/", "carol", token.Token{Grant: token.GrantAuthorizationCode}, true),
	}
	io, _, out, _ := iostreams.Test()
	o := &StatusOptions{IO: io, Now: now, Sessions: func() ([]CachedSession, error) { return list, nil }}
	if err := statusAllRun(t.Context(), o); err != nil {
		t.Fatalf("statusAllRun: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "PROFILE") ||
		!strings.HasSuffix(lines[1], "yes") || !strings.HasSuffix(lines[2], "no (expired)") || !strings.HasSuffix(lines[3], "no (revoked)") ||
		!strings.Contains(lines[2], "bob^[[2J") || strings.Contains(out.String(), "\x1b") {
		t.Errorf("table:\n%s", out)
	}
	o.Sessions = func() ([]CachedSession, error) { return list[1:], nil }
	if err := statusAllRun(t.Context(), o); exitCode(t.Context(), err) != 4 {
		t.Errorf("no usable session: %v", err)
	}
}

func TestScriptingOptions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var ex *ExecOptions
	runOpts(t, h, NewCmdExec(h.f, func(o *ExecOptions) error { ex = o; return nil }), "exec", "--env", "TOK", "--min-ttl", "5m", "curl", "-v", "--env", "x")
	if ex.EnvName != "TOK" || ex.MinTTL != 5*time.Minute || !cmp.Equal(ex.Command, []string{"curl", "-v", "--env", "x"}) || ex.APIURL != config.DefaultAPIURL {
		t.Errorf("exec options = %+v", ex)
	}
	var api *APIOptions
	runOpts(t, h, NewCmdAPI(h.f, func(o *APIOptions) error { api = o; return nil }), "api", "-X", "PUT", "/p", "-H", "A: b", "-f", "k=v", "--input", "-", "-i", "--min-ttl", "1m")
	want := apirequest.Spec{Method: "PUT", Path: "/p", Headers: []string{"A: b"}, Fields: []string{"k=v"}, Input: "-"}
	if diff := cmp.Diff(want, api.Request, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Stdin" }, cmp.Ignore())); diff != "" || !api.Include || api.MinTTL != time.Minute {
		t.Errorf("api options (-want +got):\n%s %+v", diff, api)
	}
	var tok *TokenOptions
	runOpts(t, h, NewCmdToken(h.f, func(o *TokenOptions) error { tok = o; return nil }), "token", "--format", "env", "--env", "X", "--min-ttl", "10m")
	if tok.Format != "env" || tok.EnvName != "X" || tok.MinTTL != 10*time.Minute {
		t.Errorf("token options = %+v", tok)
	}
	var st *StatusOptions
	runOpts(t, h, NewCmdStatus(h.f, func(o *StatusOptions) error { st = o; return nil }), "status", "--all")
	if !st.All || st.Profile != "default" || st.ProfileSource != "default" {
		t.Errorf("status options = %+v", st)
	}
	var lo *LogoutOptions
	runOpts(t, h, NewCmdLogout(h.f, func(o *LogoutOptions) error { lo = o; return nil }), "logout", "--all")
	if !lo.All {
		t.Errorf("logout options = %+v", lo)
	}
	for _, args := range [][]string{
		{"exec"}, {"exec", "--env", "A-B", "--", "x"}, {"exec", "--env", "HELLO_API_URL", "--", "x"}, {"exec", "--env", "HELLO_PROFILE", "--", "x"}, {"exec", "--env", "PATH", "--", "x"}, {"exec", "--env", "LD_PRELOAD", "--", "x"}, {"exec", "--env", "home", "--", "x"}, {"exec", "--min-ttl", "-1m", "--", "x"},
		{"api"}, {"api", "/a", "/b"}, {"token", "--format", "xml"}, {"token", "--env", "1"}, {"status", "--all", "--min-ttl", "1m"},
	} {
		if code := newHarness(t).run(args...); code != 2 {
			t.Errorf("hello %v: exit %d, want 2", args, code)
		}
	}
}

func TestCompletionOfScriptingFlags(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	write := func(name, content string) {
		t.Helper()
		if err := writeFileForTest(filepath.Join(h.f.Config.WorkDir, name), content); err != nil {
			t.Fatal(err)
		}
	}
	write(".config", "[profile staging]\nISSUER=https://s.example.com/\n[profile prod]\nISSUER=https://p.example.com/\n")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "--profile", ""}, []string{"default", "prod", "staging"}},
		{[]string{"__complete", "status", "--profile", "st"}, []string{"default", "prod", "staging"}},
		{[]string{"__complete", "token", "--format", ""}, []string{"raw", "header", "env", "json"}},
		{[]string{"__complete", "exec", "--env", ""}, []string{"HELLO_ACCESS_TOKEN", "TOKEN", "ACCESS_TOKEN"}},
		{[]string{"__complete", "api", "-X", ""}, []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}},
		{[]string{"__complete", "api", ""}, []string{"/api/messages/public", "/api/messages/protected", "/api/messages/admin"}},
		{[]string{"__complete", "exec", "--min-ttl", ""}, []string{"1m", "5m", "10m", "30m", "1h"}},
		{[]string{"__complete", "status", "--min-ttl", ""}, []string{"1m", "5m", "10m", "30m", "1h"}},
	} {
		h.out.Reset()
		if code := h.run(tc.args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, h.err)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(h.out.String()), "\n") {
			if !strings.HasPrefix(l, ":") && l != "" {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, diff)
		}
	}
}

func writeFileForTest(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}

func TestAPIRunJQ(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"text":"hi \u001b[2J","n":[1,2]}`)
	}))
	defer srv.Close()
	filter, err := jq.Compile(".text, .n")
	if err != nil {
		t.Fatal(err)
	}
	io, _, out, _ := iostreams.Test()
	ft := &fakeTokens{tok: &token.Token{AccessToken: "at", Expiry: testNow.Add(time.Hour)}}
	o := &APIOptions{Request: apirequest.Spec{Path: "/x"}, IO: io, JSON: true, JSONOut: output.JSON{Filter: filter}, Now: now, APIURL: srv.URL,
		Token: ft.Token, Client: func(context.Context) (*http.Client, error) { return session.Client(srv.Client(), ft, srv.URL), nil }}
	if err := apiRun(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "hi ^[[2J\n[1,2]\n" {
		t.Errorf("--jq output %q", got)
	}
}

// TestLogoutAll: every session is removed, even when a provider cannot be
// reached to revoke its refresh token.
func TestLogoutAll(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	list := cachedSessions(t, base, func(context.Context) (*oidcclient.Client, error) { return nil, errors.New("provider down") })
	io, _, _, errOut := iostreams.Test()
	o := &LogoutOptions{IO: io, Sessions: func() ([]CachedSession, error) { return list, nil }}
	if err := logoutAllRun(t.Context(), o); err != nil {
		t.Fatalf("logoutAllRun: %v", err)
	}
	for _, cs := range list {
		if _, err := cs.Session.Load(); !errors.Is(err, session.ErrNotLoggedIn) {
			t.Errorf("profile %s: still cached (%v)", cs.Profile, err)
		}
	}
	if got := errOut.String(); strings.Count(got, "Removed the cached session.") != 2 || strings.Count(got, "provider down") != 2 ||
		!strings.Contains(got, "Profile prod, https://prod.example.com/ (client hello-cli):") {
		t.Errorf("stderr:\n%s", got)
	}
}

// TestMinTTLErrorNeverClaimsEnough: a token a fraction of a second short of
// --min-ttl must not be described as lasting exactly that long.
func TestMinTTLErrorNeverClaimsEnough(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		want, got time.Duration
		says      string
	}{
		{time.Hour, time.Hour - 300*time.Millisecond, "is valid for 59m59s"},
		{59*time.Minute + 59*time.Second, 59*time.Minute + 58*time.Second + 900*time.Millisecond, "is valid for 59m58s"},
		{2 * time.Hour, time.Hour, "is valid for 1h0m0s"},
		{time.Minute, -3 * time.Second, "has already expired"},
	} {
		msg := (&MinTTLError{Want: tc.want, Got: tc.got}).Error()
		if !strings.Contains(msg, "even renewed, the access token "+tc.says) {
			t.Errorf("want %s, got %s: %q, want it to say %q", tc.want, tc.got, msg, tc.says)
		}
	}
}

// TestExecStoppedBeforeTheChildStarts: a SIGTERM that arrives while hello
// renews the token (before the child exists, so nothing can forward it)
// must stop hello there, with 143; a child started anyway would never hear
// of it and run to its end.
func TestExecStoppedBeforeTheChildStarts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(&interrupt.SignalError{Signal: syscall.SIGTERM})
	io, _, _, _ := iostreams.Test()
	ran := false
	o := &ExecOptions{EnvName: "TOK", Command: []string{"prog"}, IO: io, APIURL: "http://api", Now: now,
		// The session had its token before the signal: it does not fail.
		Token:   (&fakeTokens{tok: &token.Token{AccessToken: "at-1", Expiry: testNow.Add(time.Hour)}}).Token,
		Environ: func() []string { return nil },
		Run:     func(childprocess.Command) (int, error) { ran = true; return 0, nil }}
	err := execRun(ctx, o)
	if ran {
		t.Error("the command was started after hello was told to stop")
	}
	if got := exitCode(ctx, err); got != 143 {
		t.Errorf("exit %d (%v), want 143", got, err)
	}
}

// cachedSessions saves a session for the default profile and one for
// "prod" under base, as logout --all finds them, each reaching its
// provider through provider.
func cachedSessions(t *testing.T, base string, provider func(context.Context) (*oidcclient.Client, error)) []CachedSession {
	t.Helper()
	var list []CachedSession
	for _, p := range []string{"default", "prod"} {
		dir := base
		if p != "default" {
			dir = filepath.Join(base, "profiles", p)
		}
		st := tokencache.New(dir)
		k := tokencache.Key{Issuer: "https://" + p + ".example.com/", ClientID: "hello-cli"}
		if err := st.Save(k, &tokencache.Entry{Token: token.Token{AccessToken: "a", RefreshToken: "r", Grant: token.GrantAuthorizationCode}}); err != nil {
			t.Fatal(err)
		}
		list = append(list, CachedSession{Profile: p, Session: &session.Session{Store: st, Key: k}, Provider: provider})
	}
	return list
}
