package provider

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
)

// testIDP is a provider served on a random loopback port.
type testIDP struct {
	*Provider
	url   string
	srv   *httptest.Server
	rp    *oidc.Provider // discovery as a relying party sees it
	clock *testClock
}

// testClock is real time plus an offset that tests move forward, so expiry
// and delays are tried without sleeping while clients that poll on real
// tickers (x/oauth2's device flow) still see time pass.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// startIDP starts an ephemeral provider with a 1s device interval and cheap
// password hashing; mod may
// adjust the config (Issuer is set before mod runs).
func startIDP(t testing.TB, mod func(*Config)) *testIDP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	clock := &testClock{}
	cfg := Config{Issuer: issuer, Ephemeral: true, DeviceInterval: time.Second, PasswordCost: bcrypt.MinCost, Logger: testLogger(t), Now: clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(t.Context(), cfg)
	if err != nil {
		srv.Close()
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	rp, err := oidc.NewProvider(t.Context(), issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &testIDP{Provider: p, url: issuer, srv: srv, rp: rp, clock: clock}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// oauthConfig is the CLI's client configuration for a loopback port.
func (s *testIDP) oauthConfig(scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}
	}
	ep := s.rp.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams // public client: client_id in the body
	return &oauth2.Config{
		ClientID:    CLIClientID,
		Endpoint:    ep,
		RedirectURL: "http://127.0.0.1:49152/callback",
		Scopes:      scopes,
	}
}

// browser is a cookie-keeping HTTP client that follows redirects within the
// provider and stops at the redirect to the application's loopback callback.
type browser struct {
	t      testing.TB
	idp    *testIDP
	client *http.Client
}

func newBrowser(t testing.TB, s *testIDP) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.url, "http://")
	return &browser{t: t, idp: s, client: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != host || len(via) > 10 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// page is a response with its body read.
type page struct {
	status int
	url    *url.URL // of the final request
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(body)}
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenRE     = regexp.MustCompile(`<input type="(?:hidden|text|email)"[^>]*? name="([^"]+)" value="([^"]*)"`)
)

// submit posts the page's form with its pre-filled fields (CSRF token, flow)
// plus fields, as a browser would.
func (b *browser) submit(p page, fields map[string]string) page {
	b.t.Helper()
	m := formActionRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no form on page %s (status %d):\n%s", p.url, p.status, p.body)
	}
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, v := range fields {
		form.Set(k, v)
	}
	action := p.url.ResolveReference(&url.URL{Path: html.UnescapeString(m[1])})
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(p page, email, password string) page {
	b.t.Helper()
	return b.submit(p, map[string]string{"username": email, "password": password})
}

// callback returns the query of the redirect to the loopback callback.
func callback(t testing.TB, p page) url.Values {
	t.Helper()
	if p.status != http.StatusFound {
		t.Fatalf("want a redirect to the callback, got %d at %s:\n%s", p.status, p.url, p.body)
	}
	loc, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != "/callback" {
		t.Fatalf("redirect to %s, want the callback", loc)
	}
	return loc.Query()
}

// pkce is one authorization attempt's secrets.
type pkce struct {
	verifier, state, nonce string
}

func newPKCE() pkce {
	return pkce{verifier: oauth2.GenerateVerifier(), state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier()}
}

func (k pkce) authURL(conf *oauth2.Config, extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(k.verifier), oidc.Nonce(k.nonce)}, extra...)
	return conf.AuthCodeURL(k.state, opts...)
}

var withAudience = oauth2.SetAuthURLParam("audience", DefaultAudience)

// loginCode runs /authorize → login form → callback and returns the code.
func (b *browser) loginCode(conf *oauth2.Config, k pkce, email, password string, extra ...oauth2.AuthCodeOption) string {
	b.t.Helper()
	p := b.get(k.authURL(conf, extra...))
	if p.status == http.StatusOK {
		p = b.login(p, email, password)
	}
	q := callback(b.t, p)
	if q.Get("error") != "" {
		b.t.Fatalf("authorize error %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != k.state {
		b.t.Fatalf("state %q, want %q", q.Get("state"), k.state)
	}
	return q.Get("code")
}

// loginTokens runs the whole code flow and exchanges the code.
func (b *browser) loginTokens(conf *oauth2.Config, email, password string, extra ...oauth2.AuthCodeOption) (*oauth2.Token, pkce) {
	b.t.Helper()
	k := newPKCE()
	code := b.loginCode(conf, k, email, password, extra...)
	tok, err := conf.Exchange(b.t.Context(), code, oauth2.VerifierOption(k.verifier))
	if err != nil {
		b.t.Fatalf("exchange: %v", err)
	}
	return tok, k
}

// accessClaims verifies an access token's signature, issuer and expiry
// against the provider's JWKS and returns its claims.
func (s *testIDP) accessClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	v := s.rp.Verifier(&oidc.Config{SkipClientIDCheck: true})
	tok, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("verify access token: %v", err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// oauthErr returns the error code of an oauth2 call's failure.
func oauthErr(t testing.TB, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want an OAuth error response, got %v", err)
	}
	return re.ErrorCode
}

// postForm posts to the provider and decodes a JSON answer.
func (s *testIDP) postForm(t testing.TB, path string, form url.Values, mod func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mod != nil {
		mod(req)
	}
	return doJSON(t, req)
}

func doJSON(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s %s: status %d, body is not JSON: %q", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, out
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func decodeJSON(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestMain quiets the library, which logs every refused request to the
// default slog logger.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
