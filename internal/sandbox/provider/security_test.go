package provider

import (
	"github.com/hello-cli/hello/internal/sandbox/store"

	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
)

// rawGet is a request by a client with no cookies that follows no redirect:
// an attacker's script.
func rawGet(t *testing.T, rawURL string) page {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: req.URL, header: resp.Header, body: string(body)}
}

// startAuthRequest opens /authorize as an attacker would and returns the
// auth request id from the redirect to the login page.
func startAuthRequest(t *testing.T, s *testIDP, k pkce) string {
	t.Helper()
	p := rawGet(t, k.authURL(s.oauthConfig()))
	loc, err := url.Parse(p.header.Get("Location"))
	if p.status != http.StatusFound || err != nil || loc.Path != loginPath || loc.Query().Get("id") == "" {
		t.Fatalf("authorize: %d Location %q, want a redirect to the login page", p.status, p.header.Get("Location"))
	}
	return loc.Query().Get("id")
}

// An attacker starts /authorize with their own PKCE, gets the logged-in
// victim to open the login page (SSO completes it silently) and calls the
// callback themselves: they must not get the code.
func TestCallbackOnlyForTheBrowserThatSignedIn(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	victim := newBrowser(t, s)
	victim.loginTokens(conf, AliceEmail, AlicePassword)

	attacker := newPKCE()
	id := startAuthRequest(t, s, attacker)
	// The victim's browser opens the link; SSO completes the request.
	if q := callback(t, victim.get(s.url+loginPath+"?id="+url.QueryEscape(id))); q.Get("code") == "" {
		t.Fatalf("victim's SSO: callback %v, want a code", q)
	}

	// Without the victim's cookies the callback hands out nothing.
	p := rawGet(t, s.url+callbackPath+"?id="+url.QueryEscape(id))
	if p.status != http.StatusForbidden || strings.Contains(p.header.Get("Location"), "code=") ||
		!strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("callback without the session: %d Location %q, want a 403 page", p.status, p.header.Get("Location"))
	}
	// Nor with another user's session.
	other := newBrowser(t, s)
	other.loginTokens(conf, BobEmail, BobPassword)
	if p := other.get(s.url + callbackPath + "?id=" + url.QueryEscape(id)); p.status != http.StatusForbidden {
		t.Errorf("callback with another session: %d, want 403", p.status)
	}

	// A finished request cannot be completed again by someone else, which
	// would swap its subject.
	fresh := newBrowser(t, s)
	form := fresh.get(s.url + loginPath + "?id=" + url.QueryEscape(id))
	if p := fresh.login(form, BobEmail, BobPassword); p.status != http.StatusBadRequest || !strings.Contains(p.body, "already completed") {
		t.Errorf("second completion: %d at %s, want 400 already completed", p.status, p.url)
	}

	// The victim's own browser still collects its code, for alice.
	k := newPKCE()
	code := victim.loginCode(conf, k, AliceEmail, AlicePassword)
	tok, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(k.verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if sub := s.accessClaims(t, tok.AccessToken)["sub"]; sub != "sandbox|alice" {
		t.Errorf("sub %v, want alice", sub)
	}
}

// A callback before anyone signed in is refused too, without a redirect.
func TestCallbackBeforeLogin(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	id := startAuthRequest(t, s, newPKCE())
	if p := rawGet(t, s.url+callbackPath+"?id="+url.QueryEscape(id)); p.status != http.StatusForbidden {
		t.Errorf("callback of a pending request: %d Location %q, want 403", p.status, p.header.Get("Location"))
	}
}

func TestIDTokenLifetimeFollowsTokenTTL(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Minute
	s := startIDP(t, func(c *Config) { c.TokenTTL = ttl })
	tok, _ := newBrowser(t, s).loginTokens(s.oauthConfig(), AliceEmail, AlicePassword, withAudience)
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID}).Verify(t.Context(), rawID)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if got := idt.Expiry.Sub(idt.IssuedAt); got < ttl-5*time.Second || got > ttl+5*time.Second {
		t.Errorf("ID token lives %v, want the token TTL %v", got, ttl)
	}
}

// Oversized free-text parameters are refused with an OAuth error to the
// client, and no auth request is stored.
func TestAuthorizeParamLimits(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	long := strings.Repeat("x", store.MaxParamLen+1)
	for name, opt := range map[string]oauth2.AuthCodeOption{
		"nonce":       oauth2.SetAuthURLParam("nonce", long),
		"login_hint":  oauth2.SetAuthURLParam("login_hint", long),
		"screen_hint": oauth2.SetAuthURLParam("screen_hint", long),
	} {
		p := rawGet(t, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), opt))
		q := callback(t, p)
		if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), name) {
			t.Errorf("%s too long: callback %v, want invalid_request", name, q)
		}
	}
	// A too-long state is refused and not echoed back.
	q := callback(t, rawGet(t, conf.AuthCodeURL(long, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
	if q.Get("error") != "invalid_request" || q.Get("state") != "" {
		t.Errorf("state too long: callback error %q state of %d bytes, want invalid_request without state", q.Get("error"), len(q.Get("state")))
	}
	// At the limit is fine.
	atLimit := strings.Repeat("y", store.MaxParamLen)
	p := rawGet(t, conf.AuthCodeURL(atLimit, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("nonce", atLimit)))
	if loc := p.header.Get("Location"); p.status != http.StatusFound || !strings.Contains(loc, loginPath+"?id=") {
		t.Errorf("parameters at the limit: %d Location %q, want the login page", p.status, loc)
	}
}

func TestFailedCodeExchangeSpendsTheCode(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	for name, wrong := range map[string][]oauth2.AuthCodeOption{
		"verifier":     {oauth2.VerifierOption(oauth2.GenerateVerifier())},
		"redirect_uri": {oauth2.SetAuthURLParam("redirect_uri", "http://127.0.0.1:49153/callback")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := newPKCE()
			code := newBrowser(t, s).loginCode(conf, k, AliceEmail, AlicePassword)
			opts := append([]oauth2.AuthCodeOption{oauth2.VerifierOption(k.verifier)}, wrong...)
			if _, err := conf.Exchange(t.Context(), code, opts...); oauthErr(t, err) != "invalid_grant" {
				t.Fatalf("exchange with a wrong %s: %v, want invalid_grant", name, err)
			}
			_, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(k.verifier))
			if got := oauthErr(t, err); got != "invalid_grant" {
				t.Errorf("exchange after a failed one: %q, want invalid_grant", got)
			}
		})
	}
}

// Guessing device user codes is bounded per client address, on the form
// and on the GET pages that tell a live code from a dead one.
func TestUserCodeGuessingLimited(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	da, err := s.oauthConfig().DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	form := b.get(s.url + devicePath)
	for i := range maxCodeFailures {
		var p page
		switch i % 3 {
		case 0:
			p = b.submit(form, map[string]string{"user_code": "BCDF-GHJK"})
		case 1:
			p = b.get(s.url + approvePath + "?user_code=BCDFGHJK")
		default:
			p = b.get(s.url + loginPath + "?user_code=BCDFGHJK")
		}
		if p.status == http.StatusTooManyRequests {
			t.Fatalf("attempt %d already refused", i+1)
		}
	}
	// Over the limit even the right code is refused, with a clear page.
	p := b.submit(form, map[string]string{"user_code": da.UserCode})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many") {
		t.Fatalf("after %d misses: %d Retry-After %q, want 429", maxCodeFailures, p.status, p.header.Get("Retry-After"))
	}
	for _, path := range []string{approvePath, loginPath, signupPath} {
		if p := b.get(s.url + path + "?user_code=" + url.QueryEscape(da.UserCode)); p.status != http.StatusTooManyRequests {
			t.Errorf("%s over the limit: %d, want 429", path, p.status)
		}
	}
}

// Two sandboxes started together on one state directory use one signing
// key.
func TestSharedStateDirKey(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	var (
		srvs [2]*testIDP
		errs [2]error
		wg   sync.WaitGroup
	)
	for i := range srvs {
		srvs[i] = unstartedIDP(t)
	}
	for i := range srvs {
		wg.Go(func() {
			cfg := Config{Issuer: srvs[i].url, StateDir: dir, PasswordCost: bcrypt.MinCost, Logger: testLogger(t)}
			srvs[i].Provider, errs[i] = New(context.Background(), cfg)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("New #%d: %v", i, err)
		}
		srvs[i].start(t)
	}
	if srvs[0].store.KeyID() != srvs[1].store.KeyID() {
		t.Fatalf("sandboxes on one state directory have different keys: %q and %q", srvs[0].store.KeyID(), srvs[1].store.KeyID())
	}
	// Both serve it.
	for _, s := range srvs {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/keys", nil)
		if err != nil {
			t.Fatal(err)
		}
		status, jwks := doJSON(t, req)
		keys, _ := jwks["keys"].([]any)
		if status != http.StatusOK || len(keys) != 1 || keys[0].(map[string]any)["kid"] != srvs[0].store.KeyID() {
			t.Errorf("%s JWKS: %d %v, want the shared kid", s.url, status, jwks)
		}
	}
}

// Two sandboxes sharing a state directory keep each other's sign-ups.
func TestSharedStateDirSignups(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	persistent := func(c *Config) { c.Ephemeral, c.StateDir = false, dir }
	// Both load the (missing) users file before either sign-up.
	a, b := startIDP(t, persistent), startIDP(t, persistent)
	signup := func(s *testIDP, name, email string) {
		t.Helper()
		br := newBrowser(t, s)
		p := br.get(newPKCE().authURL(s.oauthConfig(), oauth2.SetAuthURLParam("screen_hint", "signup")))
		callback(t, br.submit(p, map[string]string{"name": name, "email": email, "password": "long-password"}))
	}
	signup(a, "Erin", "erin@example.com")
	signup(b, "Frank", "frank@example.com")

	// A restart keeps both.
	c := startIDP(t, persistent)
	for _, email := range []string{"erin@example.com", "frank@example.com"} {
		newBrowser(t, c).loginTokens(c.oauthConfig(), email, "long-password")
	}
	// Each running sandbox logs in the other's new user.
	newBrowser(t, a).loginTokens(a.oauthConfig(), "frank@example.com", "long-password")
	newBrowser(t, b).loginTokens(b.oauthConfig(), "erin@example.com", "long-password")
	// An email taken on one cannot be taken on the other.
	br := newBrowser(t, a)
	p := br.get(newPKCE().authURL(a.oauthConfig(), oauth2.SetAuthURLParam("screen_hint", "signup")))
	if dup := br.submit(p, map[string]string{"name": "F", "email": "frank@example.com", "password": "long-password"}); dup.status != http.StatusConflict {
		t.Errorf("duplicate sign-up across sandboxes: %d, want 409", dup.status)
	}
}

// unstartedIDP reserves a loopback address for a provider built later.
func unstartedIDP(t *testing.T) *testIDP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	return &testIDP{url: "http://" + srv.Listener.Addr().String(), srv: srv}
}

func (s *testIDP) start(t *testing.T) {
	t.Helper()
	s.srv.Config.Handler = s.Handler()
	s.srv.Start()
	rp, err := oidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	s.rp = rp
}

// Without an ID token hint, logging out takes a confirmation on a
// CSRF-protected form: a mere link must not end the session.
func TestLogoutConfirmation(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	endSession := s.url + "/end_session"
	loggedIn := func(b *browser) bool {
		t.Helper()
		p := b.get(newPKCE().authURL(conf))
		return p.status == http.StatusFound && !strings.Contains(p.body, `id="password"`)
	}
	q := url.Values{"client_id": {CLIClientID}, "post_logout_redirect_uri": {"http://localhost:51234/"}, "state": {"bye"}}

	b := newBrowser(t, s)
	b.loginTokens(conf, AliceEmail, AlicePassword)
	confirm := b.get(endSession + "?" + q.Encode())
	if confirm.status != http.StatusOK || !strings.Contains(confirm.body, `id="logout"`) || !strings.Contains(confirm.body, "Log out of the hello sandbox?") {
		t.Fatalf("end_session without hint: %d Location %q, want the confirmation page", confirm.status, confirm.header.Get("Location"))
	}
	if !loggedIn(b) {
		t.Fatal("the link alone ended the session")
	}
	// A forged confirmation is refused.
	if p := b.submit(confirm, map[string]string{"csrf_token": "forged"}); p.status != http.StatusForbidden || !loggedIn(b) {
		t.Errorf("forged confirmation: %d, session kept %v; want 403 and the session kept", p.status, loggedIn(b))
	}
	// The confirmation logs out and follows the allowed return address.
	p := b.submit(confirm, nil)
	if p.status != http.StatusFound || p.header.Get("Location") != "http://localhost:51234/?state=bye" {
		t.Fatalf("confirmed logout: %d Location %q", p.status, p.header.Get("Location"))
	}
	if loggedIn(b) {
		t.Error("session survived the confirmed logout")
	}

	// A foreign return address is refused before asking, session kept.
	b2 := newBrowser(t, s)
	b2.loginTokens(conf, BobEmail, BobPassword)
	bad := url.Values{"client_id": {CLIClientID}, "post_logout_redirect_uri": {"http://localhost:51234/elsewhere"}}
	if p := b2.get(endSession + "?" + bad.Encode()); p.status != http.StatusBadRequest || strings.Contains(p.body, `id="logout"`) {
		t.Errorf("bad return address: %d, want 400 without a confirmation form", p.status)
	}
	// So is an invalid hint.
	if p := b2.get(endSession + "?id_token_hint=garbage"); p.status != http.StatusBadRequest {
		t.Errorf("bad hint: %d, want 400", p.status)
	}
	if !loggedIn(b2) {
		t.Error("a refused logout request ended the session")
	}

	// With a valid hint, posted as hello does, the logout is immediate.
	tok, _ := b2.loginTokens(conf, BobEmail, BobPassword)
	idToken, _ := tok.Extra("id_token").(string)
	form := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://localhost:51234/"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endSession, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := b2.do(req); p.status != http.StatusFound || p.header.Get("Location") != "http://localhost:51234/" {
		t.Errorf("POST with hint: %d Location %q", p.status, p.header.Get("Location"))
	}
	if loggedIn(b2) {
		t.Error("session survived the logout with a hint")
	}
}
