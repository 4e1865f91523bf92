package provider

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func TestDiscovery(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	var doc struct {
		Issuer            string   `json:"issuer"`
		GrantTypes        []string `json:"grant_types_supported"`
		CodeChallenge     []string `json:"code_challenge_methods_supported"`
		Prompts           []string `json:"prompt_values_supported"`
		DeviceEndpoint    string   `json:"device_authorization_endpoint"`
		RevocationEnd     string   `json:"revocation_endpoint"`
		EndSession        string   `json:"end_session_endpoint"`
		Userinfo          string   `json:"userinfo_endpoint"`
		JWKS              string   `json:"jwks_uri"`
		IDTokenAlgs       []string `json:"id_token_signing_alg_values_supported"`
		TokenAuthMethods  []string `json:"token_endpoint_auth_methods_supported"`
		ScopesSupported   []string `json:"scopes_supported"`
		ResponseTypesSupp []string `json:"response_types_supported"`
	}
	if err := s.rp.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != s.url {
		t.Errorf("issuer %q, want %q", doc.Issuer, s.url)
	}
	for _, g := range []string{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"} {
		if !slices.Contains(doc.GrantTypes, g) {
			t.Errorf("grant_types_supported %v lacks %s", doc.GrantTypes, g)
		}
	}
	if diff := cmp.Diff([]string{"S256"}, doc.CodeChallenge); diff != "" {
		t.Errorf("code_challenge_methods_supported (-want +got):\n%s", diff)
	}
	if !slices.Contains(doc.Prompts, "create") {
		t.Errorf("prompt_values_supported %v lacks create", doc.Prompts)
	}
	for name, v := range map[string]string{"device": doc.DeviceEndpoint, "revocation": doc.RevocationEnd,
		"end_session": doc.EndSession, "userinfo": doc.Userinfo, "jwks": doc.JWKS} {
		if !strings.HasPrefix(v, s.url+"/") {
			t.Errorf("%s endpoint %q not under the issuer", name, v)
		}
	}
	if diff := cmp.Diff([]string{"RS256"}, doc.IDTokenAlgs); diff != "" {
		t.Errorf("id_token_signing_alg_values_supported (-want +got):\n%s", diff)
	}
	for _, m := range []string{"none", "client_secret_basic", "client_secret_post"} {
		if !slices.Contains(doc.TokenAuthMethods, m) {
			t.Errorf("token_endpoint_auth_methods_supported %v lacks %s", doc.TokenAuthMethods, m)
		}
	}

	// The JWKS has exactly our RS256 key, with a kid.
	var jwks struct {
		Keys []struct {
			Kid, Kty, Alg, Use string
		} `json:"keys"`
	}
	resp, err := http.Get(doc.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := decodeJSON(resp, &jwks); err != nil {
		t.Fatal(err)
	}
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != s.store.KeyID() || jwks.Keys[0].Kid == "" ||
		jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Alg != "RS256" || jwks.Keys[0].Use != "sig" {
		t.Errorf("JWKS = %+v, want one RSA RS256 sig key with kid %q", jwks.Keys, s.store.KeyID())
	}
}

func TestCodeFlowAlice(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	tok, k := b.loginTokens(conf, AliceEmail, AlicePassword, withAudience)

	// The ID token verifies with go-oidc for our client and carries the nonce and profile.
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID}).Verify(t.Context(), rawID)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != k.nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, k.nonce)
	}
	var idClaims struct {
		Sub           string `json:"sub"`
		Name          string `json:"name"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Azp           string `json:"azp"`
	}
	if err := idt.Claims(&idClaims); err != nil {
		t.Fatal(err)
	}
	wantID := struct {
		Sub           string `json:"sub"`
		Name          string `json:"name"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Azp           string `json:"azp"`
	}{"sandbox|alice", "Alice Example", AliceEmail, true, CLIClientID}
	if diff := cmp.Diff(wantID, idClaims); diff != "" {
		t.Errorf("ID token claims (-want +got):\n%s", diff)
	}

	// The access token is an RS256 JWT for the API with Auth0-style claims.
	claims := s.accessClaims(t, tok.AccessToken)
	if claims["iss"] != s.url || claims["sub"] != "sandbox|alice" {
		t.Errorf("iss/sub = %v/%v", claims["iss"], claims["sub"])
	}
	if aud := stringList(claims["aud"]); !slices.Contains(aud, DefaultAudience) {
		t.Errorf("aud %v lacks %s", aud, DefaultAudience)
	}
	if _, ok := claims["exp"].(float64); !ok {
		t.Errorf("exp missing: %v", claims)
	}
	if _, ok := claims["iat"].(float64); !ok {
		t.Errorf("iat missing: %v", claims)
	}
	if got := claims["scope"]; got != "openid profile email offline_access" {
		t.Errorf("scope %#v, want a space-separated string", got)
	}
	if diff := cmp.Diff([]string{PermissionReadAdminMessages}, stringList(claims["permissions"])); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token although offline_access was requested")
	}
	if got := s.Stats().Grants["authorization_code"]; got != 1 {
		t.Errorf("authorization_code grants = %d, want 1", got)
	}
}

func TestCodeFlowBobWithoutAudience(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig(oidc.ScopeOpenID, "email")
	tok, _ := b.loginTokens(conf, BobEmail, BobPassword)

	claims := s.accessClaims(t, tok.AccessToken)
	if perms, ok := claims["permissions"].([]any); !ok || len(perms) != 0 {
		t.Errorf("permissions = %#v, want an empty array", claims["permissions"])
	}
	if aud := stringList(claims["aud"]); !slices.Equal(aud, []string{CLIClientID}) {
		t.Errorf("aud without audience = %v, want the client id", aud)
	}
	if tok.RefreshToken != "" {
		t.Error("refresh token issued without offline_access")
	}
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()

	t.Run("wrong verifier", func(t *testing.T) {
		k := newPKCE()
		code := b.loginCode(conf, k, AliceEmail, AlicePassword)
		_, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if got := oauthErr(t, err); got != "invalid_grant" {
			t.Errorf("error %q, want invalid_grant", got)
		}
	})
	t.Run("missing verifier", func(t *testing.T) {
		k := newPKCE()
		code := b.loginCode(conf, k, AliceEmail, AlicePassword)
		_, err := conf.Exchange(t.Context(), code)
		if got := oauthErr(t, err); got != "invalid_request" {
			t.Errorf("error %q, want invalid_request", got)
		}
	})
	t.Run("code is single use", func(t *testing.T) {
		k := newPKCE()
		code := b.loginCode(conf, k, AliceEmail, AlicePassword)
		if _, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(k.verifier)); err != nil {
			t.Fatal(err)
		}
		_, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(k.verifier))
		if got := oauthErr(t, err); got != "invalid_grant" {
			t.Errorf("error %q, want invalid_grant", got)
		}
	})
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"no challenge":    nil,
		"plain challenge": {oauth2.SetAuthURLParam("code_challenge", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr"), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
	} {
		t.Run(name, func(t *testing.T) {
			p := b.get(conf.AuthCodeURL("st", opts...))
			q := callback(t, p)
			if q.Get("error") != "invalid_request" || q.Get("state") != "st" {
				t.Errorf("callback %v, want error=invalid_request with the state", q)
			}
		})
	}
}

func TestRedirectURIs(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"http://localhost:4040/callback", true},
		{"http://localhost:53682/callback", true},
		{"http://127.0.0.1:1/callback", true},
		{"http://[::1]:65535/callback", true},
		{"https://localhost:4040/callback", false},
		{"http://evil.example.com:4040/callback", false},
		{"http://localhost.evil.example.com:4040/callback", false},
		{"http://127.0.0.2:4040/callback", false},
		{"http://localhost/callback", false},
		{"http://localhost:4040/callback/../x", false},
		{"http://localhost:4040/other", false},
		{"http://localhost:4040/callback?x=1", false},
		{"http://user@localhost:4040/callback", false},
	} {
		conf := s.oauthConfig()
		conf.RedirectURL = tc.uri
		p := b.get(newPKCE().authURL(conf))
		switch {
		case tc.ok && p.status != http.StatusOK:
			t.Errorf("%s: status %d, want the login page", tc.uri, p.status)
		case !tc.ok && (p.status != http.StatusBadRequest || p.header.Get("Location") != ""):
			t.Errorf("%s: status %d location %q, want a 400 page and no redirect", tc.uri, p.status, p.header.Get("Location"))
		case !tc.ok && !strings.Contains(p.header.Get("Content-Type"), "text/html"):
			t.Errorf("%s: content type %q, want an HTML error page", tc.uri, p.header.Get("Content-Type"))
		}
	}
}

func TestLoginPage(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	p := b.get(newPKCE().authURL(conf))
	if p.status != http.StatusOK || p.url.Path != loginPath {
		t.Fatalf("authorize led to %d %s", p.status, p.url)
	}
	if got := p.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	for _, want := range []string{`id="username"`, `id="password"`, `id="submit"`, `name="csrf_token"`, `href="/signup?id=`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}

	// Wrong password and unknown user get the same single message.
	for _, creds := range [][2]string{{AliceEmail, "nope"}, {"nobody@example.com", AlicePassword}} {
		again := b.login(p, creds[0], creds[1])
		if again.status != http.StatusOK || strings.Count(again.body, msgWrongCredentials) != 1 {
			t.Errorf("%s: status %d, want the form with one %q", creds[0], again.status, msgWrongCredentials)
		}
	}

	// A forged or missing CSRF token is refused.
	form := url.Values{"username": {AliceEmail}, "password": {AlicePassword}, "csrf_token": {"forged"}}
	resp, err := b.client.PostForm(s.url+loginPath, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged CSRF: status %d, want 403", resp.StatusCode)
	}
}

func TestSessionSSOAndPromptLogin(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b := newBrowser(t, s)
	conf := s.oauthConfig()
	b.loginTokens(conf, AliceEmail, AlicePassword)

	// The provider session skips the password on the next /authorize.
	k := newPKCE()
	if q := callback(t, b.get(k.authURL(conf))); q.Get("code") == "" {
		t.Fatalf("SSO: callback %v, want a code", q)
	}
	// prompt=login forces the form.
	p := b.get(newPKCE().authURL(conf, oauth2.SetAuthURLParam("prompt", "login")))
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="password"`) {
		t.Errorf("prompt=login: status %d, want the login form", p.status)
	}
	// prompt=none without a session answers login_required.
	fresh := newBrowser(t, s)
	q := callback(t, fresh.get(newPKCE().authURL(conf, oauth2.SetAuthURLParam("prompt", "none"))))
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none without session: %v, want login_required", q)
	}
}

func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
