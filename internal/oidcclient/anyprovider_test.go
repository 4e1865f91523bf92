package oidcclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
)

func TestPushedRequest(t *testing.T) {
	t.Parallel()
	var got url.Values
	var user, pass string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		got = r.PostForm
		user, pass, _ = r.BasicAuth()
		if got.Get("code_challenge") == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"PKCE required"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}`))
	}))
	defer srv.Close()

	auth := "https://op.example/authorize?client_id=cli&code_challenge=ch&resource=https%3A%2F%2Fapi&state=s"
	tests := []struct {
		name     string
		auth     ClientAuth
		wantUser string
		wantBody string // client_secret in the body
	}{
		{"public client", ClientAuth{ClientID: "cli"}, "", ""},
		{"basic", ClientAuth{ClientID: "cli", ClientSecret: "s e"}, "cli", ""},
		{"post", ClientAuth{ClientID: "cli", ClientSecret: "sec", InBody: true}, "", "sec"},
	}
	for _, tt := range tests {
		// Sequential: the handler records into shared variables.
		u, lifetime, err := PushedRequest{Endpoint: srv.URL, Auth: tt.auth, HTTP: srv.Client()}.PushFor(context.Background(), auth)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if lifetime != time.Minute {
			t.Errorf("%s: lifetime %s, want the provider's expires_in, 1m0s", tt.name, lifetime)
		}
		if want := "https://op.example/authorize?client_id=cli&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"; u != want {
			t.Errorf("%s: URL %s, want %s", tt.name, u, want)
		}
		if got.Get("resource") != "https://api" || got.Get("state") != "s" || got.Get("client_id") != "cli" {
			t.Errorf("%s: pushed %v", tt.name, got)
		}
		if user != tt.wantUser || (tt.wantUser != "" && pass != url.QueryEscape(tt.auth.ClientSecret)) {
			t.Errorf("%s: basic auth %q:%q", tt.name, user, pass)
		}
		if got.Get("client_secret") != tt.wantBody {
			t.Errorf("%s: client_secret in body %q", tt.name, got.Get("client_secret"))
		}
	}

	_, _, err := PushedRequest{Endpoint: srv.URL, Auth: ClientAuth{ClientID: "cli"}, HTTP: srv.Client()}.PushFor(context.Background(), "https://op.example/authorize?client_id=cli")
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_request" || oe.StatusCode != 400 {
		t.Fatalf("refused push: %v", err)
	}
}

func TestPushedLinkNotice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lifetime time.Duration
		want     string
	}{
		{0, ""},
		{time.Minute, `It works for 1m0s (a pushed request, RFC 9126): open it before then, or run "hello login" again for a new one.`},
		{90 * time.Second, `It works for 1m30s (a pushed request, RFC 9126): open it before then, or run "hello login" again for a new one.`},
	} {
		if got := pushedLinkNotice(tc.lifetime); got != tc.want {
			t.Errorf("pushedLinkNotice(%s) = %q, want %q", tc.lifetime, got, tc.want)
		}
	}
}

func TestCheckResponseIssuer(t *testing.T) {
	t.Parallel()
	const iss = "https://op.example"
	tests := []struct {
		name       string
		query      string
		advertised bool
		wantErr    bool
	}{
		{"right iss, advertised", "code=c&iss=https%3A%2F%2Fop.example", true, false},
		{"right iss, not advertised", "code=c&iss=https%3A%2F%2Fop.example", false, false},
		{"no iss, not advertised (Auth0)", "code=c", false, false},
		{"no iss, advertised", "code=c", true, true},
		{"error without iss, advertised", "error=access_denied&state=s", true, false},
		{"error with a wrong iss", "error=access_denied&iss=https%3A%2F%2Fevil.example", true, true},
		{"wrong iss", "code=c&iss=https%3A%2F%2Fevil.example", false, true},
		{"trailing slash differs", "code=c&iss=https%3A%2F%2Fop.example%2F", true, true},
		{"empty iss", "code=c&iss=", false, true},
		{"two iss", "code=c&iss=https%3A%2F%2Fop.example&iss=x", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := url.ParseQuery(tt.query)
			err := CheckResponseIssuer(q, iss, tt.advertised)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrResponseIssuer) {
				t.Fatalf("%v is not ErrResponseIssuer", err)
			}
		})
	}
}

func TestRequestParams(t *testing.T) {
	t.Parallel()
	const api = "https://hello-world.example.com"
	scopes := []string{"openid", "offline_access"}
	auth0 := ProviderFacts{Issuer: "https://tenant.eu.auth0.com/"}
	custom := ProviderFacts{Issuer: "https://login.example.com/", MFAChallengeEndpoint: "https://login.example.com/mfa/challenge"}
	strict := ProviderFacts{Issuer: "https://op.example"}
	sandbox := ProviderFacts{Issuer: "http://127.0.0.1:5055", PromptValuesSupported: []string{"none", "login", "create"}}
	tests := []struct {
		name                 string
		d                    Dialect
		f                    ProviderFacts
		audience             string
		authorize, token, cc string
	}{
		{"auth0.com", DialectAuto, auth0, api, "audience=https%3A%2F%2Fhello-world.example.com", "", "audience=https%3A%2F%2Fhello-world.example.com"},
		{"Auth0 custom domain", DialectAuto, custom, api, "audience=https%3A%2F%2Fhello-world.example.com", "", "audience=https%3A%2F%2Fhello-world.example.com"},
		{"strict", DialectAuto, strict, api,
			"audience=https%3A%2F%2Fhello-world.example.com&prompt=consent&resource=https%3A%2F%2Fhello-world.example.com",
			"resource=https%3A%2F%2Fhello-world.example.com",
			"audience=https%3A%2F%2Fhello-world.example.com&resource=https%3A%2F%2Fhello-world.example.com"},
		{"prompt values without consent", DialectAuto, sandbox, api,
			"audience=https%3A%2F%2Fhello-world.example.com&resource=https%3A%2F%2Fhello-world.example.com",
			"resource=https%3A%2F%2Fhello-world.example.com",
			"audience=https%3A%2F%2Fhello-world.example.com&resource=https%3A%2F%2Fhello-world.example.com"},
		{"audience not a URI", DialectAuto, strict, "my-api", "audience=my-api&prompt=consent", "", "audience=my-api"},
		{"no audience", DialectAuto, strict, "", "prompt=consent", "", ""},
		{"forced auth0", DialectAuth0, strict, api, "audience=https%3A%2F%2Fhello-world.example.com", "", "audience=https%3A%2F%2Fhello-world.example.com"},
		{"forced standard on auth0.com", DialectStandard, auth0, api,
			"audience=https%3A%2F%2Fhello-world.example.com&prompt=consent&resource=https%3A%2F%2Fhello-world.example.com",
			"resource=https%3A%2F%2Fhello-world.example.com",
			"audience=https%3A%2F%2Fhello-world.example.com&resource=https%3A%2F%2Fhello-world.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewRequestParams(tt.d, tt.f, tt.audience)
			if got := p.Authorize(scopes).Encode(); got != tt.authorize {
				t.Errorf("authorize %s, want %s", got, tt.authorize)
			}
			if got := p.Token().Encode(); got != tt.token {
				t.Errorf("token %s, want %s", got, tt.token)
			}
			if got := p.ClientCredentials().Encode(); got != tt.cc {
				t.Errorf("client credentials %s, want %s", got, tt.cc)
			}
			if got := p.DeviceAuthorization().Encode(); got != tt.cc {
				t.Errorf("device authorization %s, want %s", got, tt.cc)
			}
		})
	}
	// No offline_access, no consent; other prompts are kept.
	p := NewRequestParams(DialectAuto, strict, "")
	if got := p.Authorize([]string{"openid"}).Get("prompt"); got != "" {
		t.Errorf("prompt %q without offline_access", got)
	}
	if got := p.Authorize(scopes, "create").Get("prompt"); got != "create consent" {
		t.Errorf("prompt %q, want create consent", got)
	}
}

func TestParsePastedRedirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in  string
		wantCode  string
		wantError string // substring; empty for success
	}{
		{"full address", "http://localhost:4040/callback?code=abc&state=xyz&iss=https%3A%2F%2Fop", "abc", ""},
		{"quoted, blanks, newline", "  'http://127.0.0.1:5000/callback?code=abc&state=xyz'\n", "abc", ""},
		{"bare query", "?code=abc&state=xyz", "abc", ""},
		{"error answer", "http://localhost:4040/callback?error=access_denied&state=xyz", "", ""},
		{"empty", "  \n", "", "nothing was pasted"},
		{"login URL instead", "https://op.example/authorize?client_id=x", "", "not the redirect"},
		{"other path", "http://localhost:4040/other?code=abc", "", "not the redirect"},
		{"not loopback", "http://evil.example:4040/callback?code=abc", "", "not the redirect"},
		{"https loopback", "https://localhost:4040/callback?code=abc", "", "not the redirect"},
		{"no code", "http://localhost:4040/callback?state=xyz", "", "no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParsePastedRedirect(tt.in, "/callback")
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want %q", err, tt.wantError)
				}
				if strings.Contains(err.Error(), "code=abc") {
					t.Fatalf("the error repeats the code: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Code() != tt.wantCode {
				t.Fatalf("code %q, want %q", r.Code(), tt.wantCode)
			}
		})
	}
}

func TestReadPastedRedirect(t *testing.T) {
	t.Parallel()
	r, err := ReadPastedRedirect(context.Background(), strings.NewReader("http://localhost:4040/callback?code=c&state=s\nmore"), "/callback")
	if err != nil || r.Code() != "c" || r.State() != "s" {
		t.Fatalf("got %v, %v", r, err)
	}
	if _, err := ReadPastedRedirect(context.Background(), strings.NewReader(""), "/callback"); err == nil || !strings.Contains(err.Error(), "input closed") {
		t.Fatalf("closed input: %v", err)
	}
	// Nothing is ever pasted: the deadline ends the wait.
	pr, pw := ioPipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadPastedRedirect(ctx, pr, "/callback"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for left, want := range map[time.Duration]string{
		9*time.Minute + 58*time.Second + 300*time.Millisecond: "Waiting for approval… (code expires in 9m58s)",
		10 * time.Minute: "Waiting for approval… (code expires in 10m0s)",
		-time.Second:     "Waiting for approval… (code expires in 0s)",
	} {
		if got := ProgressLine(now, now.Add(left)); got != want {
			t.Errorf("%s left: %q, want %q", left, got, want)
		}
	}
}

func TestDeviceProgressRun(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := make(chan time.Time)
	var buf bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	p := DeviceProgress{W: &buf, Terminal: true, Expiry: start.Add(10 * time.Minute), Now: clock, Tick: tick}
	go func() { p.Run(ctx); close(done) }()
	tick <- start // taken once the first line is drawn
	mu.Lock()
	now = start.Add(2 * time.Second)
	mu.Unlock()
	tick <- now
	tick <- now // taken only after the previous tick's line was drawn
	cancel()
	<-done
	out := buf.String()
	for _, want := range []string{"\rWaiting for approval… (code expires in 10m0s)", "\rWaiting for approval… (code expires in 9m58s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\r") {
		t.Errorf("the line is not cleared at the end: %q", out)
	}

	// Not a terminal: one plain line, no carriage returns.
	var log bytes.Buffer
	DeviceProgress{W: &log, Expiry: start.Add(time.Minute), Now: func() time.Time { return start }}.Run(context.Background())
	if got := log.String(); got != "Waiting for approval… (code expires in 1m0s)\n" {
		t.Errorf("wrote %q when not on a terminal", got)
	}
}

func ioPipe() (*os.File, *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	return r, w
}
