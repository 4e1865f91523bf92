package provider

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/hello-cli/hello/internal/sandbox/helloapi"
)

// As at Auth0, the ID token names only the client in aud and the access
// token only the API, whether tokens come from the code exchange or a
// refresh; so the Hello World API refuses an ID token.
func TestIDTokenAudienceIsTheClientOnly(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	tok, k := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword, withAudience)
	next, err := refresh(t, conf, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	verifier := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID})
	for name, tk := range map[string]*oauth2.Token{"code exchange": tok, "refresh": next} {
		raw, _ := tk.Extra("id_token").(string)
		idt, err := verifier.Verify(t.Context(), raw)
		if err != nil {
			t.Fatalf("%s: verify ID token: %v", name, err)
		}
		if !slices.Equal(idt.Audience, []string{CLIClientID}) {
			t.Errorf("%s: ID token aud %v, want only %s", name, idt.Audience, CLIClientID)
		}
		if name == "code exchange" && idt.Nonce != k.nonce {
			t.Errorf("nonce %q", idt.Nonce)
		}
		if aud := stringList(s.accessClaims(t, tk.AccessToken)["aud"]); !slices.Equal(aud, []string{DefaultAudience}) {
			t.Errorf("%s: access token aud %v, want only %s", name, aud, DefaultAudience)
		}
	}

	// The Hello World API, validating this provider's tokens, takes the
	// access token and refuses the ID token.
	api, err := helloapi.New(helloapi.Config{Issuer: s.url, Audience: DefaultAudience})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"access token", next.AccessToken, http.StatusOK},
		{"ID token", next.Extra("id_token").(string), http.StatusUnauthorized},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "/api/messages/protected", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		rec := newRecorder()
		api.ServeHTTP(rec, req)
		if rec.status != c.want {
			t.Errorf("%s at the API: %d, want %d", c.name, rec.status, c.want)
		}
	}
}

// RFC 8707's resource works like Auth0's audience at /authorize and at the
// token endpoint; another API, or audience and resource naming different
// ones, is invalid_target.
func TestResourceLikeAudience(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	tok, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword, oauth2.SetAuthURLParam("resource", DefaultAudience))
	if aud := stringList(s.accessClaims(t, tok.AccessToken)["aud"]); !slices.Equal(aud, []string{DefaultAudience}) {
		t.Errorf("code flow with resource: aud %v", aud)
	}
	cc := clientcredentials.Config{ClientID: CIClientID, ClientSecret: CIClientSecret, TokenURL: s.rp.Endpoint().TokenURL,
		EndpointParams: url.Values{"resource": {DefaultAudience}}}
	ctok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if aud := stringList(s.accessClaims(t, ctok.AccessToken)["aud"]); !slices.Equal(aud, []string{DefaultAudience}) {
		t.Errorf("client credentials with resource: aud %v", aud)
	}
	for _, params := range []url.Values{
		{"resource": {"https://other.example.com"}},
		{"resource": {"https://other.example.com"}, "audience": {DefaultAudience}},
	} {
		cc.EndpointParams = params
		if _, err := cc.Token(t.Context()); oauthErr(t, err) != "invalid_target" {
			t.Errorf("%v: %v, want invalid_target", params, err)
		}
	}
	q := callback(t, rawGet(t, newPKCE().authURL(conf, oauth2.SetAuthURLParam("resource", "https://other.example.com"))))
	if q.Get("error") != "invalid_target" {
		t.Errorf("authorize with another resource: %v", q)
	}
}

// A parameter given twice is invalid_request at every endpoint, however
// harmless its values look.
func TestRepeatedParametersRefused(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	body := "grant_type=client_credentials&grant_type=client_credentials"
	for _, c := range []struct{ path, body string }{
		{"/oauth/token", body},
		{"/oauth/token", "grant_type=client_credentials&audience=" + url.QueryEscape(DefaultAudience) + "&audience=" + url.QueryEscape(DefaultAudience)},
		{"/device_authorization", "client_id=hello-cli&scope=openid&scope=openid"},
		{"/revoke", "token=a&token=b"},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(CIClientID, CIClientSecret)
		status, out := doJSON(t, req)
		if status != http.StatusBadRequest || out["error"] != "invalid_request" {
			t.Errorf("POST %s %s: %d %v, want 400 invalid_request", c.path, c.body, status, out)
		}
	}
	// At /authorize: redirected to a valid application with iss...
	u := newPKCE().authURL(s.oauthConfig()) + "&scope=openid"
	q := callback(t, rawGet(t, u))
	if q.Get("error") != "invalid_request" || q.Get("iss") != s.url || q.Get("state") == "" {
		t.Errorf("authorize with a repeated scope: %v", q)
	}
	// ...and on a page when the redirect_uri itself is repeated.
	u += "&redirect_uri=" + url.QueryEscape("http://127.0.0.1:1/callback")
	if p := rawGet(t, u); p.status != http.StatusBadRequest || !strings.Contains(p.body, "more than once") {
		t.Errorf("authorize with a repeated redirect_uri: %d %s", p.status, p.header.Get("Location"))
	}
}

// A repeated parameter at end_session is refused too, with the browser's
// session kept, rather than checked in its first value and followed in its
// last; at /userinfo it is invalid_request whatever the method.
func TestRepeatedParametersRefusedAtEndSessionAndUserinfo(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	tok, _ := b.loginTokens(conf, AliceEmail, AlicePassword)
	hint := "&id_token_hint=" + url.QueryEscape(tok.Extra("id_token").(string))
	logout := s.url + "/end_session?client_id=hello-cli&post_logout_redirect_uri=" + url.QueryEscape("http://localhost:4040/")
	for i, q := range []string{
		"&state=a&state=b", "&client_id=hello-cli", "&post_logout_redirect_uri=" + url.QueryEscape("http://localhost:4040/"),
		hint + "&state=a&state=b", hint + hint,
	} {
		p := b.get(logout + q)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "more than once") {
			t.Errorf("end_session case %d: %d Location %q, want 400 naming the repeated parameter", i, p.status, p.header.Get("Location"))
		}
	}
	// Still signed in: the next sign-in needs no password.
	callback(t, b.get(newPKCE().authURL(conf)))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/userinfo?access_token=a&access_token=b", nil)
	if status, out := doJSON(t, req); status != http.StatusBadRequest || out["error"] != "invalid_request" {
		t.Errorf("GET /userinfo with a repeated access_token: %d %v, want 400 invalid_request", status, out)
	}
}

// The provider's own pages refuse a repeated parameter as the protocol
// endpoints do, naming it, rather than act on its first value.
func TestRepeatedParametersRefusedOnPages(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/login?id=a&id=b", ""},
		{"GET", "/signup?id=a&id=b", ""},
		{"GET", "/device?user_code=BCDF-GHJK&user_code=KLMN-PQRS", ""},
		{"POST", "/device", "user_code=BCDF-GHJK&user_code=KLMN-PQRS"},
		{"GET", "/device/approve?user_code=BCDF-GHJK&user_code=KLMN-PQRS", ""},
		{"GET", "/authorize/callback?id=a&id=b", ""},
		{"POST", "/login", "username=a&username=b&password=x"},
	} {
		b := newBrowser(t, s)
		req, _ := http.NewRequestWithContext(t.Context(), c.method, s.url+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if p := b.do(req); p.status != http.StatusBadRequest || !strings.Contains(p.body, "more than once") {
			t.Errorf("%s %s %s: %d, want 400 naming the repeated parameter", c.method, c.path, c.body, p.status)
		}
	}
}

// RFC 9207: every authorization response carries iss, success and error
// alike, and discovery says so.
func TestAuthorizationResponseIss(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	var disc map[string]any
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/.well-known/openid-configuration", nil)
	if _, disc = doJSON(t, req); disc["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("discovery: authorization_response_iss_parameter_supported = %v", disc["authorization_response_iss_parameter_supported"])
	}
	conf := s.oauthConfig()
	b := newBrowser(t, s)
	k := newPKCE()
	p := b.login(b.get(k.authURL(conf)), AliceEmail, AlicePassword)
	if q := callback(t, p); q.Get("code") == "" || q.Get("iss") != s.url {
		t.Errorf("success: %v, want a code and iss=%s", q, s.url)
	}
	for name, u := range map[string]string{
		// with the provider session (SSO), answered at once
		"prompt=none with a session, no PKCE": conf.AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none")),
		"unknown scope only":                  newPKCE().authURL(conf, oauth2.SetAuthURLParam("response_type", "token")),
	} {
		q := callback(t, b.get(u))
		if q.Get("error") == "" || q.Get("iss") != s.url {
			t.Errorf("%s: %v, want an error and iss", name, q)
		}
	}
	// prompt=none without a session: login_required, from the login page.
	q := callback(t, newBrowser(t, s).get(newPKCE().authURL(conf, oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "login_required" || q.Get("iss") != s.url {
		t.Errorf("prompt=none without a session: %v", q)
	}

	// The other response modes carry it too: the fragment...
	fragment := oauth2.SetAuthURLParam("response_mode", "fragment")
	p = newBrowser(t, s).get(newPKCE().authURL(conf, fragment, oauth2.SetAuthURLParam("prompt", "none")))
	if loc, _ := url.Parse(p.header.Get("Location")); loc == nil || !fragmentHas(loc, "error", "iss", s.url) {
		t.Errorf("fragment, error: %d Location %q, want iss in the fragment", p.status, p.header.Get("Location"))
	}
	p = b.get(newPKCE().authURL(conf, fragment))
	if loc, _ := url.Parse(p.header.Get("Location")); loc == nil || !fragmentHas(loc, "code", "iss", s.url) {
		t.Errorf("fragment, success: %d Location %q, want iss in the fragment", p.status, p.header.Get("Location"))
	}
	// ...and the form posted to the application, success and error.
	formPost := oauth2.SetAuthURLParam("response_mode", "form_post")
	field := `name="iss" value="` + s.url + `"`
	p = b.get(newPKCE().authURL(conf, formPost))
	if p.status != http.StatusOK || !strings.Contains(p.body, field) || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("form_post: %d %q, want a form with %s:\n%s", p.status, p.header.Get("Content-Type"), field, p.body)
	}
	// (The library redirects errors in this mode, with the query.)
	p = newBrowser(t, s).get(newPKCE().authURL(conf, formPost, oauth2.SetAuthURLParam("prompt", "none")))
	if q := callback(t, p); q.Get("error") == "" || q.Get("iss") != s.url {
		t.Errorf("form_post, error: %v", q)
	}
}

// fragmentHas reports whether loc's fragment, read as a query, has the
// parameter present and want as the value of key.
func fragmentHas(loc *url.URL, present, key, want string) bool {
	q, err := url.ParseQuery(loc.Fragment)
	return err == nil && q.Get(present) != "" && q.Get(key) == want
}

// With --refresh-reuse-interval, the previous refresh token presented again
// within the interval gets the very same tokens, once; a third use, or one
// after the interval, is a reuse that revokes the login.
func TestRefreshReuseInterval(t *testing.T) {
	t.Parallel()
	s := startIDP(t, func(c *Config) { c.RefreshReuseInterval = 30 * time.Second })
	conf := s.oauthConfig()
	first, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword, withAudience)
	form := func(rt string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {CLIClientID}}
	}
	rotated := tokenBody(t, s, form(first.RefreshToken), http.StatusOK)
	s.clock.Advance(20 * time.Second) // the answer was lost; the client tries again
	again := tokenBody(t, s, form(first.RefreshToken), http.StatusOK)
	if again != rotated {
		t.Errorf("within the interval: a different answer\n%s\nwant\n%s", again, rotated)
	}
	// A third presentation is a reuse: the login is revoked.
	tokenBody(t, s, form(first.RefreshToken), http.StatusBadRequest)
	st := s.Stats()
	if st.RefreshReuseDetected != 1 || st.RefreshReplayed != 1 || st.Grants["refresh_token"] != 1 {
		t.Errorf("stats %+v, want 1 refresh, 1 replay, 1 reuse", st)
	}

	// Outside the interval, the first reuse revokes.
	second, _ := newBrowser(t, s).loginTokens(conf, BobEmail, BobPassword, withAudience)
	next, err := refresh(t, conf, second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(31 * time.Second)
	if _, err := refresh(t, conf, second.RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("previous token after the interval: %v, want invalid_grant", err)
	}
	if _, err := refresh(t, conf, next.RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("the newest token after the reuse: %v, want invalid_grant (family revoked)", err)
	}
}

// Without a reuse interval (the default, as Auth0's), the previous token
// is a reuse at once.
func TestRefreshReuseIntervalDefaultZero(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	first, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword)
	if _, err := refresh(t, conf, first.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(t, conf, first.RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("immediate reuse: %v", err)
	}
	if st := s.Stats(); st.RefreshReuseDetected != 1 || st.RefreshReplayed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func tokenBody(t *testing.T, s *testIDP, form url.Values, want int) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.url+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("token: %d %s, want %d", resp.StatusCode, b, want)
	}
	return string(b)
}

// recorder is a minimal http.ResponseWriter for calling a handler directly.
type recorder struct {
	header http.Header
	status int
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(status int)      { r.status = status }

// The device grant's tokens have the audiences of the other grants: the
// ID token names only the client, the access token only the API (the
// library adds the client to both for this grant). An access token naming
// the client would pass an ID-token check that looks at aud, as
// go-oidc's does.
func TestDeviceIDTokenAudienceIsTheClientOnly(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	da, err := conf.DeviceAuth(t.Context(), withAudience)
	if err != nil {
		t.Fatal(err)
	}
	approveDevice(t, newBrowser(t, s), da, "approve")
	tok, err := conf.DeviceAccessToken(ctxTimeout(t, 20*time.Second), da)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(idt.Audience, []string{CLIClientID}) {
		t.Errorf("device ID token aud %v, want only %s", idt.Audience, CLIClientID)
	}
	claims := s.accessClaims(t, tok.AccessToken)
	if aud := stringList(claims["aud"]); !slices.Equal(aud, []string{DefaultAudience}) {
		t.Errorf("device access token aud %v, want only %s", aud, DefaultAudience)
	}
	if claims["azp"] != CLIClientID || claims["client_id"] != CLIClientID {
		t.Errorf("device access token azp %v client_id %v, want %s", claims["azp"], claims["client_id"], CLIClientID)
	}
	if _, err := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID}).Verify(t.Context(), tok.AccessToken); err == nil {
		t.Error("the device access token passes as an ID token for hello-cli")
	}
	if idt.Subject != "sandbox|alice" {
		t.Errorf("device ID token sub %q", idt.Subject)
	}
	// The refresh token minted with it still belongs to the client.
	if _, err := refresh(t, conf, tok.RefreshToken); err != nil {
		t.Errorf("refresh after the device grant: %v", err)
	}
}
