package provider

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/hello-cli/hello/internal/sandbox/store"
)

// withLimits lowers the storage's table sizes for a test.
func withLimits(mod func(*store.Limits)) func(*Config) {
	return func(c *Config) {
		c.Limits = store.DefaultLimits
		mod(&c.Limits)
	}
}

// openAuthRequest starts a sign-in and opens its login page, as a
// browser does: a request in use, which a full share does not drop.
func openAuthRequest(t *testing.T, s *testIDP) string {
	t.Helper()
	id := startAuthRequest(t, s, newPKCE())
	if p := rawGet(t, s.url+loginPath+"?id="+url.QueryEscape(id)); p.status != http.StatusOK {
		t.Fatalf("login page: %d\n%s", p.status, p.body)
	}
	return id
}

// enterUserCode types a device's user code on the verification page, as
// its user does: a code in use, which a full share does not drop.
func enterUserCode(t *testing.T, s *testIDP, da *oauth2.DeviceAuthResponse) {
	t.Helper()
	b := newBrowser(t, s)
	if p := b.submit(b.get(da.VerificationURIComplete), nil); !strings.Contains(p.body, `id="password"`) {
		t.Fatalf("entering the user code: %d\n%s", p.status, p.body)
	}
}

func TestPendingAuthRequestsCapped(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AuthRequests = 3 }))
	for range 3 {
		openAuthRequest(t, s)
	}
	q := callback(t, rawGet(t, newPKCE().authURL(s.oauthConfig())))
	if q.Get("error") != "temporarily_unavailable" {
		t.Fatalf("auth request over the cap: callback %v, want temporarily_unavailable", q)
	}
	// Expired requests make room again.
	s.clock.Advance(store.AuthRequestTTL + time.Second)
	startAuthRequest(t, s, newPKCE())
}

func TestDeviceAuthorizationsCapped(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.Devices = 2 }))
	conf := s.oauthConfig()
	for range 2 {
		da, err := conf.DeviceAuth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		enterUserCode(t, s, da)
	}
	status, body := s.postForm(t, "/device_authorization", url.Values{"client_id": {CLIClientID}}, nil)
	if status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
		t.Errorf("device authorization over the cap: %d %v, want temporarily_unavailable", status, body)
	}
}

func TestBrowserSessionsCapped(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.Sessions = 2 }))
	conf := s.oauthConfig()
	browsers := make([]*browser, 3)
	for i := range browsers {
		browsers[i] = newBrowser(t, s)
		browsers[i].loginTokens(conf, AliceEmail, AlicePassword)
	}
	if n := s.store.Stats().Live["sessions"]; n != 2 {
		t.Errorf("%d sessions, want the cap 2", n)
	}
	// The oldest session was evicted; the newest lives.
	if p := browsers[0].get(newPKCE().authURL(conf)); !strings.Contains(p.body, `id="password"`) {
		t.Errorf("oldest session: %d, want the login form", p.status)
	}
	if p := browsers[2].get(newPKCE().authURL(conf)); p.status != http.StatusFound {
		t.Errorf("newest session: %d, want SSO", p.status)
	}
}

// Rotation keeps one record per login, however often it is refreshed, and
// still recognises a reuse of any earlier token.
func TestRefreshRotationKeepsOneRecord(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	first, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword)
	tok := first
	for range 5 {
		next, err := refresh(t, conf, tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		tok = next
	}
	if n := s.store.Stats().Live["refresh_families"]; n != 1 {
		t.Errorf("%d refresh records after 5 rotations, want 1", n)
	}

	// A forged or altered token is unknown, not a reuse.
	forged := []byte(tok.RefreshToken)
	forged[len(forged)-2] ^= 1
	if _, err := refresh(t, conf, string(forged)); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("altered token: %v", err)
	}
	if st := s.Stats(); st.RefreshReuseDetected != 0 {
		t.Fatalf("altered token counted as reuse: %+v", st)
	}
	// The very first token, five rotations back, is a reuse.
	if _, err := refresh(t, conf, first.RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("reuse of the first token: %v", err)
	}
	if _, err := refresh(t, conf, tok.RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("newest token after reuse: %v", err)
	}
	if st := s.Stats(); st.RefreshReuseDetected != 1 {
		t.Errorf("stats %+v, want 1 reuse", st)
	}

	// The revoked family's marker is dropped once the family would have
	// expired.
	s.clock.Advance(s.cfg.RefreshTokenTTL + 2*time.Minute)
	if n := s.store.Stats().Live["refresh_families"]; n != 0 {
		t.Errorf("%d refresh records after expiry, want 0", n)
	}
}

func TestRefreshFamiliesCapped(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.FamiliesPerUser = 2 }))
	conf := s.oauthConfig()
	// Alice's login is not touched by bob's logins.
	alice, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword)
	var toks []*oauth2.Token
	b := newBrowser(t, s)
	for range 3 {
		tok, _ := b.loginTokens(conf, BobEmail, BobPassword)
		toks = append(toks, tok)
	}
	if _, err := refresh(t, conf, toks[0].RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("evicted family: %v, want invalid_grant", err)
	}
	if _, err := refresh(t, conf, toks[2].RefreshToken); err != nil {
		t.Errorf("newest family: %v", err)
	}
	if _, err := refresh(t, conf, alice.RefreshToken); err != nil {
		t.Errorf("another user's family: %v", err)
	}
}

func TestFailureLimiterWindow(t *testing.T) {
	t.Parallel()
	l := newFailureLimiter(2, time.Minute)
	now := time.Now()
	l.fail("a", now)
	if _, blocked := l.blocked("a", now); blocked {
		t.Fatal("blocked below the limit")
	}
	l.fail("a", now)
	if _, blocked := l.blocked("a", now.Add(time.Second)); !blocked {
		t.Fatal("not blocked at the limit")
	}
	if _, blocked := l.blocked("b", now); blocked {
		t.Error("another address blocked")
	}
	if _, blocked := l.blocked("a", now.Add(time.Minute)); blocked {
		t.Error("still blocked after the window")
	}
}

// tokenPost posts a token request and returns the status, the Retry-After
// header and the error code.
func tokenPost(t *testing.T, s *testIDP, form url.Values, user, pass string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = decodeJSON(resp, &body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error
}

var ciForm = url.Values{"grant_type": {"client_credentials"}, "audience": {DefaultAudience}}

// One client flooding the token endpoint with the published hello-ci secret
// uses up only its own share of live access tokens: it is refused with 429,
// temporarily_unavailable and Retry-After (until its oldest token expires),
// while a user signs in, refreshes and calls /userinfo as usual.
func TestFloodByOneClientSparesOthers(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AccessTokensPerOwner = 5 }))
	for i := range 5 {
		if status, _, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status != http.StatusOK {
			t.Fatalf("token %d: %d %s", i, status, e)
		}
	}
	s.clock.Advance(10 * time.Minute) // the oldest token now has 50 minutes left
	for range 20 {
		status, retry, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret)
		if status != http.StatusTooManyRequests || e != "temporarily_unavailable" || retry != "3000" {
			t.Fatalf("flooding client over its share: %d %s, Retry-After %q; want 429 temporarily_unavailable, 3000", status, e, retry)
		}
	}

	// Meanwhile another client's user logs in, refreshes, and uses the token.
	conf := s.oauthConfig()
	tok, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword, withAudience)
	next, err := refresh(t, conf, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh during the flood: %v", err)
	}
	if status := userinfoStatus(t, s, next.AccessToken); status != http.StatusOK {
		t.Errorf("userinfo during the flood: %d", status)
	}

	// Once the flooder's oldest token expires, it gets one again.
	s.clock.Advance(50*time.Minute + time.Second)
	if status, _, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status != http.StatusOK {
		t.Errorf("after the oldest expired: %d %s", status, e)
	}
}

// A refusal for lack of room spends nothing: the refresh token refused
// while its user is over their share still works once there is room, and
// is not taken for a reuse.
func TestRefusedRefreshSpendsNothing(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AccessTokensPerOwner = 2 }))
	conf := s.oauthConfig()
	tok, _ := newBrowser(t, s).loginTokens(conf, BobEmail, BobPassword)
	tok, err := refresh(t, conf, tok.RefreshToken) // bob's second live token
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {CLIClientID}}
	if status, retry, e := tokenPost(t, s, form, "", ""); status != http.StatusTooManyRequests || e != "temporarily_unavailable" || retry == "" {
		t.Fatalf("refresh over the share: %d %s, Retry-After %q", status, e, retry)
	}
	s.clock.Advance(s.cfg.TokenTTL + time.Second)
	if _, err := refresh(t, conf, tok.RefreshToken); err != nil {
		t.Fatalf("the refused refresh token, once there is room: %v", err)
	}
	if st := s.Stats(); st.RefreshReuseDetected != 0 {
		t.Errorf("refused refresh counted as reuse: %+v", st)
	}
}

// When the whole table is full, everyone is refused, with 503.
func TestAccessTokensCapped(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AccessTokens = 2 }))
	cc := clientcredentials.Config{ClientID: CIClientID, ClientSecret: CIClientSecret, TokenURL: s.rp.Endpoint().TokenURL}
	for range 2 {
		if _, err := cc.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cc.Token(t.Context()); oauthErr(t, err) != "temporarily_unavailable" {
		t.Fatalf("token over the cap: %v, want temporarily_unavailable", err)
	}
	if status, retry, _ := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("full table: %d, Retry-After %q; want 503 with Retry-After", status, retry)
	}
	// Expired tokens make room again.
	s.clock.Advance(s.cfg.TokenTTL + time.Second)
	if _, err := cc.Token(t.Context()); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// Pending sign-ins and device codes have a share per client too: over it,
// temporarily_unavailable with Retry-After (a redirect to the application
// for /authorize, 429 for the device endpoint).
func TestPendingSharesPerClient(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AuthRequestsPerClient, l.DevicesPerClient = 2, 1 }))
	for range 2 {
		openAuthRequest(t, s)
	}
	p := rawGet(t, newPKCE().authURL(s.oauthConfig()))
	if q := callback(t, p); q.Get("error") != "temporarily_unavailable" || q.Get("iss") != s.url || p.header.Get("Retry-After") != "900" {
		t.Errorf("third sign-in: %v, Retry-After %q; want temporarily_unavailable, iss, 900", q, p.header.Get("Retry-After"))
	}
	da, err := s.oauthConfig().DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	enterUserCode(t, s, da)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/device_authorization", strings.NewReader("client_id="+CLIClientID))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second device code: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Time makes room again.
	s.clock.Advance(store.AuthRequestTTL + time.Second)
	startAuthRequest(t, s, newPKCE())
}
