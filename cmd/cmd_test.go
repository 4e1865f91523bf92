package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
)

// harness is a Factory with doubles: buffers for streams, an environment
// map, temporary directories and a browser that records URLs.
type harness struct {
	f        *Factory
	out, err *bytes.Buffer
	env      map[string]string
	browser  *webbrowser.Recorder
	cacheDir string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	h := &harness{out: out, err: errOut, env: map[string]string{}, browser: &webbrowser.Recorder{}, cacheDir: t.TempDir()}
	h.f = &Factory{
		IO: io,
		Config: config.Loader{
			Getenv:     func(k string) (string, bool) { v, ok := h.env[k]; return v, ok },
			WorkDir:    t.TempDir(),
			ConfigHome: t.TempDir(),
		},
		Browser:        h.browser,
		Now:            time.Now,
		CacheDir:       func() (string, error) { return h.cacheDir, nil },
		CanOpenBrowser: func() bool { return false },
		// Never the developer's own keyring: tests that want one set theirs.
		Keyring: &memKeyring{err: keystore.ErrNoBus},
	}
	return h
}

func (h *harness) run(args ...string) int {
	return ExecuteArgs(context.Background(), h.f, args)
}

// provider is an issuer that counts requests and serves nothing useful:
// tests use it to prove that a command did not contact the provider.
func countingProvider(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.NotFound(w, nil)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// saveEntry puts a session in the harness's cache for the configured key.
func (h *harness) saveEntry(t *testing.T, issuer string, e *tokencache.Entry) {
	t.Helper()
	key := tokencache.Key{Issuer: issuer, ClientID: "hello-cli", Audience: "https://hello-world.example.com"}
	if err := tokencache.New(h.cacheDir).Save(key, e); err != nil {
		t.Fatal(err)
	}
}

func TestLoginFlagsToOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want LoginOptions
	}{
		{[]string{"login"}, LoginOptions{Port: 4040, Timeout: 5 * time.Minute}},
		{[]string{"login", "--port", "0", "--timeout", "30s", "--no-browser"}, LoginOptions{Port: 0, Timeout: 30 * time.Second, NoBrowser: true}},
		{[]string{"login", "--device"}, LoginOptions{Port: 4040, Timeout: 5 * time.Minute, Device: true}},
		{[]string{"login", "--client-credentials"}, LoginOptions{Port: 4040, Timeout: 5 * time.Minute, ClientCredentials: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			var got *LoginOptions
			root := NewCmdRoot(h.f)
			root.RemoveCommand(findCmd(root, "login"))
			root.AddCommand(NewCmdLogin(h.f, func(o *LoginOptions) error { got = o; return nil }))
			root.SetArgs(tt.args)
			root.SetOut(h.out)
			root.SetErr(h.err)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			opts := cmp.Options{cmp.FilterPath(func(p cmp.Path) bool {
				switch p.Last().String() {
				case ".Port", ".Timeout", ".NoBrowser", ".Device", ".ClientCredentials", ".Signup":
					return false
				}
				return true
			}, cmp.Ignore())}
			if diff := cmp.Diff(tt.want, *got, opts); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSignupSetsSignup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var got *LoginOptions
	cmd := NewCmdSignup(h.f, func(o *LoginOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--port", "5000"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Signup || got.Port != 5000 {
		t.Errorf("signup options = %+v", got)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"unknown flag", []string{"status", "--frob"}, nil, "unknown flag"},
		{"bad kind", []string{"messages", "secret"}, nil, "expected one of public, protected, admin"},
		{"missing kind", []string{"messages"}, nil, "expected one of public, protected, admin"},
		{"extra argument", []string{"status", "now"}, nil, "unexpected argument"},
		{"grant flags together", []string{"login", "--device", "--client-credentials"}, nil, "device"},
		{"bad port", []string{"login", "--port", "70000"}, nil, "bad --port"},
		{"http issuer", []string{"status"}, map[string]string{"HELLO_ISSUER": "http://auth.example.com"}, "HELLO_ISSUER"},
		{"bad output", []string{"status", "-o", "yaml"}, nil, "output"},
		{"missing config file", []string{"status", "--config", "/nonexistent/hello.ini"}, nil, "/nonexistent/hello.ini"},
		{"sandbox with an http issuer", []string{"sandbox", "--issuer", "http://192.0.2.1/", "--audience", "x"}, nil, "https://"},
		{"sandbox issuer without audience", []string{"sandbox", "--domain", "example.auth0.com"}, nil, "--audience"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			if code := h.run(tt.args...); code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", code, h.err)
			}
			if !strings.Contains(h.err.String(), tt.want) {
				t.Errorf("stderr %q does not mention %q", h.err, tt.want)
			}
			if h.out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", h.out)
			}
		})
	}
}

func TestNotLoggedInExit4WithoutContactingProvider(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"token"}, {"profile"}, {"messages", "protected"}, {"messages", "admin"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			idp, hits := countingProvider(t)
			h.env["HELLO_ISSUER"] = idp.URL
			if code := h.run(args...); code != 4 {
				t.Errorf("exit %d, want 4", code)
			}
			if !strings.Contains(h.err.String(), `not logged in: run "hello login"`) {
				t.Errorf("stderr = %q", h.err)
			}
			if hits.Load() != 0 {
				t.Errorf("the provider got %d requests", hits.Load())
			}
		})
	}
}

func TestExpiredMachineSessionWithoutSecret(t *testing.T) {
	t.Parallel()
	// messages and status agree: exit 4, and the advice is the secret,
	// not a login that a machine client cannot do.
	for _, args := range [][]string{{"messages", "protected"}, {"status"}, {"token"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			idp, hits := countingProvider(t)
			h.env["HELLO_ISSUER"] = idp.URL
			h.saveEntry(t, idp.URL, &tokencache.Entry{Token: token.Token{AccessToken: "at", Expiry: time.Now().Add(-time.Minute), Grant: token.GrantClientCredentials}})
			if code := h.run(args...); code != 4 {
				t.Errorf("exit %d, want 4; stderr %s", code, h.err)
			}
			if all := h.out.String() + h.err.String(); !strings.Contains(h.err.String(), "set HELLO_CLIENT_SECRET") || strings.Contains(all, "hello login") {
				t.Errorf("stdout %q, stderr %q; want the advice to set HELLO_CLIENT_SECRET, never hello login", h.out, h.err)
			}
			if hits.Load() != 0 {
				t.Errorf("the provider got %d requests", hits.Load())
			}
		})
	}
}

func TestOnATerminalAMissingSessionStartsLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.f.IO.SetTTY(true)
	idp, hits := countingProvider(t)
	h.env["HELLO_ISSUER"] = idp.URL
	h.run("messages", "protected")
	// One sentence: what is wrong and what hello does about it; not the
	// "run hello login" advice meant for scripts.
	if !strings.Contains(h.err.String(), "You are not logged in: starting \"hello login\".") ||
		strings.Contains(h.err.String(), "not logged in: run") || hits.Load() == 0 {
		t.Errorf("no login was started on a terminal: %d provider requests, stderr %q", hits.Load(), h.err)
	}
}

// api is a Hello World API double that records the Authorization header.
func api(t *testing.T, status int, body string) (*httptest.Server, *atomic.Value) {
	t.Helper()
	var auth atomic.Value
	auth.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &auth
}

func TestMessagesWithCachedToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	idp, hits := countingProvider(t)
	srv, auth := api(t, 200, `{"text":"This is a protected message.","extra":1}`)
	h.env["HELLO_ISSUER"], h.env["HELLO_API_URL"] = idp.URL, srv.URL
	h.saveEntry(t, idp.URL, &tokencache.Entry{Token: token.Token{AccessToken: "cached-at", Expiry: time.Now().Add(time.Hour), Grant: "authorization_code"}})
	if code := h.run("messages", "protected"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	if h.out.String() != "This is a protected message.\n" {
		t.Errorf("stdout = %q", h.out)
	}
	if got := auth.Load(); got != "Bearer cached-at" {
		t.Errorf("Authorization = %q", got)
	}
	if hits.Load() != 0 {
		t.Errorf("a valid cached token cost %d provider requests, want 0", hits.Load())
	}

	h.out.Reset()
	if code := h.run("messages", "protected", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	var body map[string]any
	if err := json.Unmarshal(h.out.Bytes(), &body); err != nil || body["extra"] != float64(1) {
		t.Errorf("-o json = %q (%v), want the API's whole body", h.out, err)
	}
}

func TestPublicMessageSendsNoToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv, auth := api(t, 200, `{"text":"This is a public message."}`)
	h.env["HELLO_API_URL"] = srv.URL
	h.saveEntry(t, "http://127.0.0.1:5055", &tokencache.Entry{Token: token.Token{AccessToken: "secret-at", Expiry: time.Now().Add(time.Hour)}})
	if code := h.run("messages", "public"); code != 0 || h.out.String() != "This is a public message.\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, h.out, h.err)
	}
	if got := auth.Load(); got != "" {
		t.Errorf("public message sent Authorization %q", got)
	}
}

func TestPublicMessage401IsNotAFreshTokenRefused(t *testing.T) {
	t.Parallel()
	// No token was sent, so nothing fresh was refused; the API at that URL
	// wants one even for the public message.
	h := newHarness(t)
	idp, hits := countingProvider(t)
	srv, _ := api(t, 401, `{"message":"Requires authentication"}`)
	h.env["HELLO_ISSUER"], h.env["HELLO_API_URL"] = idp.URL, srv.URL
	code := h.run("messages", "public")
	msg := h.err.String()
	if code != 1 || strings.Contains(msg, "fresh") || strings.Contains(msg, "hello login") || !strings.Contains(msg, "check the API URL") || !strings.Contains(msg, srv.URL) {
		t.Errorf("exit %d, stderr %q; want 1 and a message that no token was sent, pointing at the API URL", code, msg)
	}
	if hits.Load() != 0 {
		t.Errorf("the provider got %d requests", hits.Load())
	}
}

func TestMessagesStatusToExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		body   string
		code   int
		want   string
	}{
		{403, `{"message":"Permission denied"}`, 5, "permission denied"},
		{500, `{"message":"Internal Server Error"}`, 3, "HTTP 500"},
		{503, `{"message":"Service Unavailable"}`, 3, "HTTP 503"},
		{404, `{"message":"Not Found"}`, 1, "check the API URL"},
		{401, `{"message":"Bad credentials"}`, 4, "hello login"},
		{200, `not json`, 1, "not JSON"},
		{200, `{"other":1}`, 1, "without a message text"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			idp, _ := countingProvider(t)
			srv, _ := api(t, tt.status, tt.body)
			h.env["HELLO_ISSUER"], h.env["HELLO_API_URL"] = idp.URL, srv.URL
			// A device-flow session without a refresh token: a 401 cannot be renewed.
			h.saveEntry(t, idp.URL, &tokencache.Entry{Token: token.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour), Grant: "device_code"}})
			if code := h.run("messages", "admin"); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.code, h.err)
			}
			if !strings.Contains(h.err.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", h.err, tt.want)
			}
			if h.out.Len() != 0 {
				t.Errorf("stdout = %q on failure", h.out)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code := h.run("status"); code != 4 || !strings.Contains(h.out.String(), "Not logged in") {
		t.Fatalf("status without a session: exit %d, %q", code, h.out)
	}
	h.saveEntry(t, "http://127.0.0.1:5055", &tokencache.Entry{Token: token.Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(-time.Hour), Scopes: []string{"openid", "offline_access"}, Grant: "authorization_code"}})
	h.out.Reset()
	if code := h.run("status", "-o", "json"); code != 0 {
		t.Fatalf("status with a renewable session: exit %d, %s", code, h.err)
	}
	var st Status
	if err := json.Unmarshal(h.out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if !st.LoggedIn || !st.Usable || !st.Expired || !st.Renewable || st.Issuer != "http://127.0.0.1:5055" {
		t.Errorf("status = %+v", st)
	}
	if strings.Contains(h.out.String(), `"at"`) || strings.Contains(h.out.String(), `"rt"`) {
		t.Error("status printed a token")
	}
	// Expired and not renewable: not usable.
	h.saveEntry(t, "http://127.0.0.1:5055", &tokencache.Entry{Token: token.Token{AccessToken: "at", Expiry: time.Now().Add(-time.Hour), Grant: "device_code"}})
	if code := h.run("status"); code != 4 {
		t.Errorf("status with an expired, unrenewable session: exit %d, want 4", code)
	}
}

func TestLogoutLocal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	idp, hits := countingProvider(t)
	h.env["HELLO_ISSUER"] = idp.URL
	h.saveEntry(t, idp.URL, &tokencache.Entry{Token: token.Token{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(time.Hour)}})
	if code := h.run("logout", "--local"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.err)
	}
	if code := h.run("logout", "--local"); code != 0 {
		t.Fatalf("second logout: exit %d: %s", code, h.err)
	}
	if hits.Load() != 0 {
		t.Errorf("logout --local contacted the provider %d times", hits.Load())
	}
	if code := h.run("token"); code != 4 {
		t.Errorf("token after logout: exit %d, want 4", code)
	}
}

func TestHelpListsExitCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code := h.run("--help"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Exit codes:", "5  permission denied", "login", "messages", "sandbox"} {
		if !strings.Contains(h.out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestHelpAndVersionIgnoreBadConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env["HELLO_ISSUER"] = "http://auth.example.com"
	for _, args := range [][]string{{"version"}, {"help"}, {"completion", "bash"}} {
		if code := h.run(args...); code != 0 {
			t.Errorf("hello %v with a bad config: exit %d: %s", args, code, h.err)
		}
	}
	if !strings.HasPrefix(h.out.String(), "hello ") {
		t.Errorf("version output = %q", h.out)
	}
}

func findCmd(root interface {
	Commands() []*cobraCommand
}, name string) *cobraCommand {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

type cobraCommand = cobra.Command

func TestProviderFailingIsExit3(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var hits atomic.Int32
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "0")
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer idp.Close()
	h.env["HELLO_ISSUER"] = idp.URL
	if code := h.run("login", "--no-browser", "--port", "0"); code != 3 {
		t.Errorf("discovery answering 503: exit %d, want 3; stderr %s", code, h.err)
	}
	if hits.Load() < 2 {
		t.Errorf("discovery was tried %d times, want retries", hits.Load())
	}
}

func TestIDTokenExpired(t *testing.T) {
	t.Parallel()
	now := time.Now()
	mk := func(exp time.Time) string {
		payload := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"u","exp":%d}`, exp.Unix())))
		return "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ." + payload + ".c2ln"
	}
	if !idTokenExpired(mk(now.Add(-time.Minute)), now) {
		t.Error("an ID token that expired a minute ago is not expired")
	}
	if idTokenExpired(mk(now.Add(time.Minute)), now) {
		t.Error("a fresh ID token is expired")
	}
	if idTokenExpired("not-a-jwt", now) {
		t.Error("garbage counts as expired")
	}
}
