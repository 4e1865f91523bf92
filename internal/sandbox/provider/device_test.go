package provider

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// pollOnce asks for the device token once and returns the OAuth error code
// ("" on success).
func pollOnce(t *testing.T, s *testIDP, deviceCode string) string {
	t.Helper()
	status, body := s.postForm(t, "/oauth/token", url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode},
		"client_id":   {CLIClientID},
	}, nil)
	if status == http.StatusOK {
		if body["access_token"] == nil {
			t.Fatalf("200 without access_token: %v", body)
		}
		return ""
	}
	code, _ := body["error"].(string)
	// Auth0 answers slow_down with 429, the other errors with 400.
	want := http.StatusBadRequest
	if code == "slow_down" {
		want = http.StatusTooManyRequests
	}
	if status != want || code == "" {
		t.Fatalf("poll: status %d body %v, want %d with an OAuth error", status, body, want)
	}
	return code
}

// approveDevice walks the verification pages in a browser: the pre-filled
// code form, the login form, then the approve or deny button.
func approveDevice(t *testing.T, b *browser, da *oauth2.DeviceAuthResponse, button string) page {
	t.Helper()
	p := b.get(da.VerificationURIComplete)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="user_code"`) || !strings.Contains(p.body, da.UserCode) {
		t.Fatalf("verification page: %d\n%s", p.status, p.body)
	}
	p = b.submit(p, nil)
	if strings.Contains(p.body, `id="password"`) {
		p = b.login(p, AliceEmail, AlicePassword)
	}
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="approve"`) || !strings.Contains(p.body, `id="deny"`) {
		t.Fatalf("approve page: %d\n%s", p.status, p.body)
	}
	return b.submit(p, map[string]string{"action": button})
}

func TestDeviceFlow(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()

	da, err := conf.DeviceAuth(t.Context(), oauth2.SetAuthURLParam("audience", DefaultAudience))
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	if da.Interval != 1 || da.VerificationURI != s.url+"/device" || !strings.Contains(da.VerificationURIComplete, "user_code=") {
		t.Errorf("device response %+v", da)
	}

	// The first poll authenticates the way golang.org/x/oauth2 tries first
	// when it auto-detects: HTTP Basic with an empty secret.
	status, body := s.postForm(t, "/oauth/token", url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {da.DeviceCode},
	}, func(r *http.Request) { r.SetBasicAuth(CLIClientID, "") })
	if status != http.StatusBadRequest || body["error"] != "authorization_pending" {
		t.Errorf("first poll: %d %v, want authorization_pending", status, body)
	}
	if got := pollOnce(t, s, da.DeviceCode); got != "slow_down" {
		t.Errorf("immediate second poll: %q, want slow_down", got)
	}

	b := newBrowser(t, s)
	if p := approveDevice(t, b, da, "approve"); p.status != http.StatusOK || !strings.Contains(p.body, "Device connected") {
		t.Fatalf("after approve: %d\n%s", p.status, p.body)
	}

	// The real client's polling loop picks the tokens up.
	tok, err := conf.DeviceAccessToken(ctxTimeout(t, 20*time.Second), da)
	if err != nil {
		t.Fatalf("device access token: %v", err)
	}
	claims := s.accessClaims(t, tok.AccessToken)
	if claims["sub"] != "sandbox|alice" || !slices.Contains(stringList(claims["aud"]), DefaultAudience) {
		t.Errorf("device access token claims %v", claims)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if _, err := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID}).Verify(t.Context(), rawID); err != nil {
		t.Errorf("device ID token: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token although offline_access was requested")
	}
	if got := s.Stats().Grants["urn:ietf:params:oauth:grant-type:device_code"]; got != 1 {
		t.Errorf("device grants = %d, want 1", got)
	}

	// The device code is spent (checked before the polling interval).
	if got := pollOnce(t, s, da.DeviceCode); got != "invalid_grant" {
		t.Errorf("poll after success: %q, want invalid_grant", got)
	}
}

func TestDeviceFlowDenied(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	da, err := conf.DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	b.loginTokens(conf, AliceEmail, AlicePassword) // an existing session skips the login form
	if p := approveDevice(t, b, da, "deny"); p.status != http.StatusOK || !strings.Contains(p.body, "denied") {
		t.Fatalf("after deny: %d\n%s", p.status, p.body)
	}
	_, err = conf.DeviceAccessToken(ctxTimeout(t, 20*time.Second), da)
	if got := oauthErr(t, err); got != "access_denied" {
		t.Errorf("error %q, want access_denied", got)
	}
}

func TestDeviceFlowExpired(t *testing.T) {
	t.Parallel()
	s := startIDP(t, func(c *Config) { c.DeviceCodeTTL = time.Second })
	da, err := s.oauthConfig().DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(1500 * time.Millisecond)
	if got := pollOnce(t, s, da.DeviceCode); got != "expired_token" {
		t.Errorf("poll after expiry: %q, want expired_token", got)
	}
	// The verification page refuses the expired code.
	b := newBrowser(t, s)
	p := b.submit(b.get(da.VerificationURIComplete), nil)
	if !strings.Contains(p.body, msgBadUserCode) {
		t.Errorf("expired code accepted by the page: %d\n%s", p.status, p.body)
	}
}

func TestDeviceUserCodeForm(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	da, err := s.oauthConfig().DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	form := b.get(s.url + "/device")
	if p := b.submit(form, map[string]string{"user_code": "WRONG-CODE"}); !strings.Contains(p.body, msgBadUserCode) {
		t.Errorf("wrong code: %d\n%s", p.status, p.body)
	}
	// Typed in lower case without the dash, the code still works.
	typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
	p := b.submit(form, map[string]string{"user_code": typed})
	if !strings.Contains(p.body, `id="password"`) || !strings.Contains(p.body, "connect your device") {
		t.Errorf("typed code did not lead to the login form: %d\n%s", p.status, p.body)
	}
}
