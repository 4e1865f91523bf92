package provider

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// refresh runs one refresh_token grant the way the CLI does.
func refresh(t *testing.T, conf *oauth2.Config, refreshToken string) (*oauth2.Token, error) {
	t.Helper()
	expired := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Now().Add(-time.Minute)}
	return conf.TokenSource(t.Context(), expired).Token()
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	first, _ := b.loginTokens(conf, AliceEmail, AlicePassword, withAudience)

	second, err := refresh(t, conf, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh token not rotated: %q", second.RefreshToken)
	}
	// The refreshed access token keeps the audience and permissions.
	claims := s.accessClaims(t, second.AccessToken)
	if !slices.Contains(stringList(claims["aud"]), DefaultAudience) || !slices.Equal(stringList(claims["permissions"]), []string{PermissionReadAdminMessages}) {
		t.Errorf("refreshed access token claims %v", claims)
	}
	if _, ok := second.Extra("id_token").(string); !ok {
		t.Error("refresh returned no ID token")
	}

	// Presenting the rotated token again is a reuse: refused, and it
	// revokes the newest token of the family too.
	_, err = refresh(t, conf, first.RefreshToken)
	if got := oauthErr(t, err); got != "invalid_grant" {
		t.Errorf("reuse: error %q, want invalid_grant", got)
	}
	_, err = refresh(t, conf, second.RefreshToken)
	if got := oauthErr(t, err); got != "invalid_grant" {
		t.Errorf("newest token after reuse: error %q, want invalid_grant", got)
	}
	// ...and the access tokens of the family no longer work at /userinfo.
	if status := userinfoStatus(t, s, second.AccessToken); status != http.StatusUnauthorized {
		t.Errorf("userinfo with a revoked family's access token: %d, want 401", status)
	}

	want := Stats{
		Grants:               map[string]int{"authorization_code": 1, "refresh_token": 1, "client_credentials": 0, "urn:ietf:params:oauth:grant-type:device_code": 0},
		RefreshReuseDetected: 1,
	}
	if diff := cmp.Diff(want, s.Stats(), cmpopts.IgnoreFields(Stats{}, "Live")); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	// The same numbers over HTTP.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/sandbox/stats", nil)
	status, body := doJSON(t, req)
	if status != http.StatusOK || body["refresh_reuse_detected"] != float64(1) {
		t.Errorf("/sandbox/stats = %d %v", status, body)
	}
}

// Concurrent refreshes with one token: exactly one wins. Whoever loses
// triggers reuse detection, which is why the CLI serialises refreshes.
func TestConcurrentRefreshOneWins(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	tok, _ := b.loginTokens(conf, BobEmail, BobPassword)

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = refresh(t, conf, tok.RefreshToken) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent refreshes succeeded, want 1", ok, n)
	}
	if st := s.Stats(); st.Grants["refresh_token"] != 1 || st.RefreshReuseDetected != n-1 {
		t.Errorf("stats %+v, want 1 refresh and %d reuse detections", st, n-1)
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{
			ClientID: CIClientID, ClientSecret: CIClientSecret, TokenURL: s.rp.Endpoint().TokenURL,
			AuthStyle: style, EndpointParams: url.Values{"audience": {DefaultAudience}},
		}
		tok, err := cc.Token(t.Context())
		if err != nil {
			t.Fatalf("auth style %v: %v", style, err)
		}
		if tok.RefreshToken != "" {
			t.Error("client credentials returned a refresh token")
		}
		claims := s.accessClaims(t, tok.AccessToken)
		if claims["sub"] != "hello-ci@clients" {
			t.Errorf("sub %v, want hello-ci@clients", claims["sub"])
		}
		if !slices.Contains(stringList(claims["aud"]), DefaultAudience) {
			t.Errorf("aud %v lacks the audience", claims["aud"])
		}
		if !slices.Equal(stringList(claims["permissions"]), []string{PermissionReadAdminMessages}) {
			t.Errorf("permissions %v", claims["permissions"])
		}
	}
	if got := s.Stats().Grants["client_credentials"]; got != 2 {
		t.Errorf("client_credentials grants = %d, want 2", got)
	}

	// Wrong secret, and the public client, are refused.
	bad := clientcredentials.Config{ClientID: CIClientID, ClientSecret: "wrong", TokenURL: s.rp.Endpoint().TokenURL}
	if _, err := bad.Token(t.Context()); oauthErr(t, err) != "invalid_client" {
		t.Errorf("wrong secret: %v, want invalid_client", err)
	}
	status, body := s.postForm(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {CLIClientID}}, nil)
	if status < 400 || status >= 500 || body["error"] == nil {
		t.Errorf("public client credentials: %d %v, want an OAuth error", status, body)
	}
	// No audience given: the sandbox API is assumed.
	cc := clientcredentials.Config{ClientID: CIClientID, ClientSecret: CIClientSecret, TokenURL: s.rp.Endpoint().TokenURL}
	tok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if claims := s.accessClaims(t, tok.AccessToken); !slices.Contains(stringList(claims["aud"]), DefaultAudience) {
		t.Errorf("default audience: aud %v", claims["aud"])
	}
}

func userinfoStatus(t *testing.T, s *testIDP, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.rp.UserInfoEndpoint(), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	return resp.StatusCode
}

func TestUserinfoAndRevocation(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	tok, _ := b.loginTokens(conf, AliceEmail, AlicePassword, withAudience)

	info, err := s.rp.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var claims struct {
		Name string `json:"name"`
	}
	if err := info.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if info.Subject != "sandbox|alice" || info.Email != AliceEmail || !info.EmailVerified || claims.Name != "Alice Example" {
		t.Errorf("userinfo = %+v name %q", info, claims.Name)
	}
	for name, token := range map[string]string{"missing": "", "garbage": "not-a-token"} {
		if got := userinfoStatus(t, s, token); got != http.StatusUnauthorized {
			t.Errorf("%s token: %d, want 401", name, got)
		}
	}

	revoke := func(token string) int {
		status, body := s.postForm(t, "/revoke", url.Values{"token": {token}, "client_id": {CLIClientID}}, nil)
		if status != http.StatusOK {
			t.Errorf("revoke: %d %v", status, body)
		}
		return status
	}
	revoke("never-issued") // RFC 7009: 200 for an unknown token
	revoke(tok.AccessToken)
	if got := userinfoStatus(t, s, tok.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("userinfo after revoking the access token: %d, want 401", got)
	}
	revoke(tok.RefreshToken)
	if _, err := refresh(t, conf, tok.RefreshToken); oauthErr(t, err) != "invalid_grant" {
		t.Errorf("refresh after revocation: %v, want invalid_grant", err)
	}
	if st := s.Stats(); st.RefreshReuseDetected != 0 {
		t.Errorf("revocation counted as reuse: %+v", st)
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	cc := clientcredentials.Config{ClientID: CIClientID, ClientSecret: CIClientSecret, TokenURL: s.rp.Endpoint().TokenURL}
	tok, err := cc.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	auth := func(r *http.Request) { r.SetBasicAuth(CIClientID, CIClientSecret) }
	status, body := s.postForm(t, "/oauth/introspect", url.Values{"token": {tok.AccessToken}}, auth)
	if status != http.StatusOK || body["active"] != true || body["sub"] != "hello-ci@clients" {
		t.Errorf("introspection: %d %v", status, body)
	}
	status, body = s.postForm(t, "/oauth/introspect", url.Values{"token": {"garbage"}}, auth)
	if status != http.StatusOK || body["active"] != false {
		t.Errorf("introspection of garbage: %d %v", status, body)
	}
}
