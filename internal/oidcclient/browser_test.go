package oidcclient

import (
	"context"
	"errors"
	"github.com/hello-cli/hello/internal/token"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/callback"
)

func TestBrowserLogin(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	now := time.Now().Truncate(time.Second)
	c := newClient(t, op, func(cfg *Config) {
		cfg.Audience = testAudience
		cfg.Now = func() time.Time { return now }
	})
	stderr := newSyncBuffer()

	tok, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: followBrowser, Stderr: stderr})
	if err != nil {
		t.Fatalf("BrowserLogin: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
		t.Errorf("missing tokens: %+v", tok)
	}
	if diff := cmp.Diff(token.Token{
		TokenType: "Bearer",
		Expiry:    now.Add(time.Hour),
		Scopes:    Scopes,
		Grant:     token.GrantAuthorizationCode,
	}, *tok, cmpIgnoreTokenValues); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}

	reqs := op.authorizeRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d authorize requests, want 1", len(reqs))
	}
	q := reqs[0]
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             testClientID,
		"scope":                 "openid profile email offline_access",
		"code_challenge_method": "S256",
		"audience":              testAudience,
		// A standard provider: the API as an RFC 8707 resource too, and
		// the consent OIDC Core §11 needs for offline_access.
		"resource": testAudience,
		"prompt":   "consent",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorize %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"state", "nonce"} {
		if n := len(q.Get(k)); n != 43 { // 32 bytes, base64url without padding
			t.Errorf("%s has %d characters, want 43 (32 random bytes)", k, n)
		}
	}
	if q.Get("state") == q.Get("nonce") {
		t.Error("state and nonce are the same value")
	}
	if redirect := q.Get("redirect_uri"); !strings.HasPrefix(redirect, "http://localhost:") || !strings.HasSuffix(redirect, "/callback") {
		t.Errorf("redirect_uri = %q", redirect)
	}
	for _, k := range []string{"screen_hint"} {
		if q.Has(k) {
			t.Errorf("login sent %s=%q", k, q.Get(k))
		}
	}
	out := stderr.String()
	if !strings.Contains(out, "in your browser") {
		t.Errorf("stderr = %q, want the opening message", out)
	}
	assertNoSecrets(t, "stderr", out, tok.AccessToken, tok.RefreshToken, tok.IDToken)
}

// cmpIgnoreTokenValues compares Tokens without the random token strings.
var cmpIgnoreTokenValues = cmp.Transformer("blank", func(t token.Token) token.Token {
	t.AccessToken, t.RefreshToken, t.IDToken = "", "", ""
	t.IssuedAt = time.Time{}
	return t
})

func TestBrowserLoginNoBrowserPrintsURL(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]BrowserLoginOptions{
		"no opener":    {},
		"--no-browser": {NoBrowser: true, Open: func(string) error { return errors.New("must not be called") }},
		"open fails":   {Open: func(string) error { return errors.New("no display") }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			c := newClient(t, op)
			stderr := newSyncBuffer()
			o.Stderr, o.Timeout = stderr, time.Minute
			// The user copies the printed URL into a browser.
			go func() { _ = followBrowser(<-stderr.urls) }()
			if _, err := c.BrowserLogin(t.Context(), o); err != nil {
				t.Fatalf("BrowserLogin: %v\nstderr: %s", err, stderr)
			}
		})
	}
}

func TestBrowserLoginWrongStateRefused(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	var strayStatus string
	open := func(u string) error {
		callback, err := url.Parse(noFollow(t, u))
		if err != nil {
			return err
		}
		// A stray callback with someone else's state comes first…
		stray := *callback
		q := stray.Query()
		q.Set("state", "attacker-state")
		stray.RawQuery = q.Encode()
		resp, err := http.Get(stray.String())
		if err != nil {
			return err
		}
		resp.Body.Close()
		strayStatus = resp.Status
		// …then the real one.
		return followBrowser(callback.String())
	}
	tok, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: open})
	if err != nil {
		t.Fatalf("BrowserLogin: %v", err)
	}
	if strayStatus != "400 Bad Request" || tok.AccessToken == "" {
		t.Errorf("stray %q, tokens %+v", strayStatus, tok)
	}
}

func TestBrowserLoginAccessDenied(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.denyAuthorize = true
	c := newClient(t, op)
	tok, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: followBrowser})
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("BrowserLogin() error = %v, want ErrAccessDenied", err)
	}
	var cbErr *callback.CallbackError
	if !errors.As(err, &cbErr) || cbErr.Description != "The user cancelled" {
		t.Errorf("error %v does not carry the provider's CallbackError", err)
	}
	if tok != nil {
		t.Error("tokens returned with an error")
	}
}

func TestBrowserLoginRejectsBadIDToken(t *testing.T) {
	t.Parallel()
	tests := map[string]func(op *fakeOP){
		"wrong nonce":    func(op *fakeOP) { op.idClaims = func(c map[string]any) { c["nonce"] = "replayed" } },
		"no nonce":       func(op *fakeOP) { op.idClaims = func(c map[string]any) { delete(c, "nonce") } },
		"wrong audience": func(op *fakeOP) { op.idClaims = func(c map[string]any) { c["aud"] = "another-client" } },
		"wrong issuer":   func(op *fakeOP) { op.idClaims = func(c map[string]any) { c["iss"] = "https://evil.example/" } },
		"bad signature":  func(op *fakeOP) { op.signWith = otherKey() },
		"expired": func(op *fakeOP) {
			op.idClaims = func(c map[string]any) {
				c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
				c["exp"] = time.Now().Add(-time.Hour).Unix()
			}
		},
		"foreign azp": func(op *fakeOP) {
			op.idClaims = func(c map[string]any) { c["aud"] = []string{testClientID, "other"}; c["azp"] = "other" }
		},
		"wrong at_hash": func(op *fakeOP) { op.idClaims = func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" } },
		"no ID token":   func(op *fakeOP) { op.omitIDToken = true },
	}
	for name, setup := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			setup(op)
			c := newClient(t, op)
			tok, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: followBrowser})
			if err == nil || tok != nil {
				t.Fatalf("BrowserLogin() = %+v, %v; want an error and no tokens", tok, err)
			}
			if name == "no ID token" && !errors.Is(err, ErrNoIDToken) {
				t.Errorf("error = %v, want ErrNoIDToken", err)
			}
		})
	}
}

func TestFakeRequiresPKCEVerifier(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	const redirect = "http://localhost:4040/callback"
	conf := c.oauth2Config(redirect, Scopes)
	verifier := oauth2.GenerateVerifier()
	code := func() string {
		loc, err := url.Parse(noFollow(t, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))))
		if err != nil {
			t.Fatal(err)
		}
		return loc.Query().Get("code")
	}
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"missing verifier": nil,
		"wrong verifier":   {oauth2.VerifierOption(oauth2.GenerateVerifier())},
	} {
		_, err := conf.Exchange(t.Context(), code(), opts...)
		if !isRetrieveCode(err, "invalid_grant") {
			t.Errorf("%s: Exchange() error = %v, want invalid_grant", name, err)
		}
	}
	if _, err := conf.Exchange(t.Context(), code(), oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("right verifier: %v", err)
	}
}

func TestBrowserLoginPortBusy(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	opened := false
	_, err = c.BrowserLogin(t.Context(), BrowserLoginOptions{
		Port: port, Timeout: time.Minute,
		Open: func(string) error { opened = true; return nil },
	})
	var pErr *callback.PortInUseError
	if !errors.As(err, &pErr) {
		t.Fatalf("BrowserLogin() error = %v, want *callback.PortInUseError", err)
	}
	if !strings.Contains(err.Error(), "choose another with --port") {
		t.Errorf("message %q lacks the --port advice", err)
	}
	if opened {
		t.Error("browser opened although the port was busy")
	}
	if len(op.authorizeRequests()) != 0 {
		t.Error("authorization started although the port was busy")
	}
}

func TestBrowserLoginTimeout(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	_, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: 20 * time.Millisecond, Open: func(string) error { return nil }})
	if !errors.Is(err, callback.ErrTimeout) {
		t.Fatalf("BrowserLogin() error = %v, want callback.ErrTimeout", err)
	}
}

func TestBrowserLoginCancelled(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	ctx, cancel := context.WithCancel(t.Context())
	_, err := c.BrowserLogin(ctx, BrowserLoginOptions{Timeout: time.Minute, Open: func(string) error { cancel(); return nil }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("BrowserLogin() error = %v, want context.Canceled", err)
	}
}

func TestBrowserLoginPromptParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		advertised      []string
		opts            BrowserLoginOptions
		wantScreenHint  string
		wantPrompt      string
		wantPromptGiven bool
	}{
		{name: "signup, create advertised", advertised: []string{"none", "login", "consent", "create"},
			opts: BrowserLoginOptions{Signup: true}, wantScreenHint: "signup", wantPrompt: "create consent", wantPromptGiven: true},
		{name: "signup, create and consent not advertised", advertised: []string{"none", "login"},
			opts: BrowserLoginOptions{Signup: true}, wantScreenHint: "signup"},
		{name: "signup, no prompt_values_supported: consent for offline_access",
			opts: BrowserLoginOptions{Signup: true}, wantScreenHint: "signup", wantPrompt: "consent", wantPromptGiven: true},
		{name: "login, consent not advertised: no prompt", advertised: []string{"create"}, opts: BrowserLoginOptions{}},
		{name: "login, consent advertised", advertised: []string{"login", "consent"}, opts: BrowserLoginOptions{},
			wantPrompt: "consent", wantPromptGiven: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			op.promptValues = tt.advertised
			c := newClient(t, op)
			o := tt.opts
			o.Timeout, o.Open = time.Minute, followBrowser
			if _, err := c.BrowserLogin(t.Context(), o); err != nil {
				t.Fatalf("BrowserLogin: %v", err)
			}
			q := op.authorizeRequests()[0]
			if got := q.Get("screen_hint"); got != tt.wantScreenHint {
				t.Errorf("screen_hint = %q, want %q", got, tt.wantScreenHint)
			}
			if q.Has("prompt") != tt.wantPromptGiven || q.Get("prompt") != tt.wantPrompt {
				t.Errorf("prompt = %q (sent: %v), want %q (sent: %v)", q.Get("prompt"), q.Has("prompt"), tt.wantPrompt, tt.wantPromptGiven)
			}
		})
	}
}

func TestBrowserLoginWithoutAudience(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	if _, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: followBrowser}); err != nil {
		t.Fatal(err)
	}
	if q := op.authorizeRequests()[0]; q.Has("audience") {
		t.Errorf("audience = %q sent without one configured", q.Get("audience"))
	}
}

func TestBrowserLoginNoExpiry(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.omitExpiry = true
	c := newClient(t, op)
	tok, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: followBrowser})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.IsZero() {
		t.Errorf("Expiry = %v, want zero when the provider gives no expires_in", tok.Expiry)
	}
}
