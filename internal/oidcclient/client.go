// Package auth implements the client side of the OpenID Connect flows hello
// uses: browser login (authorization code + PKCE), device authorization,
// client credentials, refresh, revocation, RP-initiated logout and userinfo.
//
// The protocol work is done by golang.org/x/oauth2 and
// github.com/coreos/go-oidc/v3; this package wires them together, checks
// what they leave to the caller (the nonce), and turns their errors into
// ones the command layer can map to exit codes.
package oidcclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/urlpolicy"
)

// Scopes are requested by the interactive logins: an ID token with the
// profile and email claims, and a refresh token (offline_access).
var Scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}

// Grant names recorded in Tokens.Grant.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantDeviceCode        = "device_code"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Config says which provider and client to use.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string // empty for a public client
	Audience     string // API identifier; sent as "audience" (Auth0) when set
	// HTTPClient carries every request (discovery, JWKS, token, …);
	// http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock for token expiry and ID-token checks; time.Now when nil.
	Now func() time.Time
}

// Metadata is the part of the discovery document go-oidc does not expose.
type Metadata struct {
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	PromptValuesSupported             []string `json:"prompt_values_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// Client runs the flows against one discovered provider.
type Client struct {
	cfg      Config
	provider *oidc.Provider
	meta     Metadata
	verifier *oidc.IDTokenVerifier
}

// Tokens is the result of a grant.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	IDToken      string
	TokenType    string
	Expiry       time.Time // zero when the provider did not say
	Scopes       []string
	Grant        string // GrantAuthorizationCode, GrantDeviceCode, …
}

// New fetches the provider's discovery document. It is the only network call
// needed before a flow, so callers with a usable cached token should not
// call New at all.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("no issuer configured")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("no client ID configured")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg}
	p, err := oidc.NewProvider(c.ctx(ctx), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover OpenID provider %s: %w", cfg.Issuer, err)
	}
	if err := p.Claims(&c.meta); err != nil {
		return nil, fmt.Errorf("discover OpenID provider %s: read metadata: %w", cfg.Issuer, err)
	}
	c.provider = p
	if err := c.checkEndpoints(); err != nil {
		return nil, fmt.Errorf("discover OpenID provider %s: %w", cfg.Issuer, err)
	}
	// The provider keeps the HTTP client from the discovery context for its
	// JWKS fetches, so verification goes through cfg.HTTPClient too.
	c.verifier = p.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now})
	return c, nil
}

// SupportsDevice reports whether the provider offers the device grant: it
// must advertise the endpoint, and must not leave the grant out of an
// explicit grant_types_supported list.
func (c *Client) SupportsDevice() bool {
	if c.meta.DeviceAuthorizationEndpoint == "" {
		return false
	}
	return len(c.meta.GrantTypesSupported) == 0 || slices.Contains(c.meta.GrantTypesSupported, deviceGrantType)
}

// ctx attaches the configured HTTP client where oauth2 and go-oidc look for it.
func (c *Client) ctx(ctx context.Context) context.Context {
	if c.cfg.HTTPClient == nil {
		return ctx
	}
	return oidc.ClientContext(ctx, c.cfg.HTTPClient)
}

func (c *Client) httpClient() *http.Client {
	if c.cfg.HTTPClient != nil {
		return c.cfg.HTTPClient
	}
	return http.DefaultClient
}

// oauth2Config is the client's oauth2 configuration with the given scopes.
func (c *Client) oauth2Config(redirectURL string, scopes []string) *oauth2.Config {
	ep := c.provider.Endpoint()
	ep.AuthStyle = c.authStyle()
	return &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		Endpoint:     ep,
		RedirectURL:  redirectURL,
		Scopes:       scopes,
	}
}

// authStyle picks how the client authenticates at the token endpoint.
// oauth2's auto-detection retries a failed request with the other style,
// which would send a single-use refresh token twice; deciding up front
// avoids that.
func (c *Client) authStyle() oauth2.AuthStyle {
	methods := c.meta.TokenEndpointAuthMethodsSupported
	switch {
	case c.cfg.ClientSecret == "":
		// A public client identifies itself with client_id in the body.
		return oauth2.AuthStyleInParams
	case len(methods) == 0 || slices.Contains(methods, "client_secret_basic"):
		// client_secret_basic is the default when the list is absent (RFC 8414).
		return oauth2.AuthStyleInHeader
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	default:
		return oauth2.AuthStyleInHeader
	}
}

// audienceOptions send the API identifier, which Auth0 needs to issue a JWT
// access token for the API instead of an opaque one.
func (c *Client) audienceOptions() []oauth2.AuthCodeOption {
	if c.cfg.Audience == "" {
		return nil
	}
	return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("audience", c.cfg.Audience)}
}

// tokens converts an oauth2 token. requested are the scopes asked for, which
// RFC 6749 §5.1 says were granted when the response omits "scope".
func (c *Client) tokens(t *oauth2.Token, grant string, requested []string) *Tokens {
	out := &Tokens{
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		TokenType:    t.TokenType,
		Grant:        grant,
		Scopes:       slices.Clone(requested),
	}
	if id, ok := t.Extra("id_token").(string); ok {
		out.IDToken = id
	}
	if s, ok := t.Extra("scope").(string); ok && s != "" {
		out.Scopes = strings.Fields(s)
	}
	// oauth2 computes Expiry with time.Now; recompute it with our clock so
	// a fake clock in tests and the cache agree.
	if secs := expiresIn(t); secs > 0 {
		out.Expiry = c.cfg.Now().Add(time.Duration(secs) * time.Second)
	}
	return out
}

func expiresIn(t *oauth2.Token) int64 {
	if t.ExpiresIn > 0 {
		return t.ExpiresIn
	}
	switch v := t.Extra("expires_in").(type) {
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func (c *Client) verify(ctx context.Context, raw string) (*oidc.IDToken, error) {
	tok, err := c.verifier.Verify(c.ctx(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("verify ID token: %w", err)
	}
	// With several audiences, OIDC Core §3.1.3.7 wants azp to name us.
	if len(tok.Audience) > 1 {
		var claims struct {
			AZP string `json:"azp"`
		}
		if err := tok.Claims(&claims); err != nil {
			return nil, fmt.Errorf("verify ID token: %w", err)
		}
		if claims.AZP != "" && claims.AZP != c.cfg.ClientID {
			return nil, fmt.Errorf("verify ID token: authorized party %q is not this client", claims.AZP)
		}
	}
	return tok, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode claims: %w", err)
	}
	return m, nil
}

// randomString returns 32 random bytes, base64url-encoded, for state and nonce.
func randomString() string {
	b := make([]byte, 32)
	// crypto/rand.Read never fails (it panics if the OS cannot supply randomness).
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkEndpoints refuses a discovery document that sends tokens, codes or
// secrets over plain HTTP to a host that is not this machine: an https
// issuer is no protection if its token endpoint is http.
func (c *Client) checkEndpoints() error {
	ep := c.provider.Endpoint()
	endpoints := map[string]string{
		"authorization_endpoint":        ep.AuthURL,
		"token_endpoint":                ep.TokenURL,
		"userinfo_endpoint":             c.provider.UserInfoEndpoint(),
		"device_authorization_endpoint": c.meta.DeviceAuthorizationEndpoint,
		"revocation_endpoint":           c.meta.RevocationEndpoint,
		"end_session_endpoint":          c.meta.EndSessionEndpoint,
		"jwks_uri":                      c.meta.JWKSURI,
	}
	for name, raw := range endpoints {
		if err := checkEndpoint(name, raw); err != nil {
			return err
		}
	}
	return nil
}

// checkEndpoint accepts an empty URL, https, and http to this machine.
func checkEndpoint(name, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad %s %q: %w", name, raw, err)
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && urlpolicy.IsLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("%s %q must be https (http is allowed only for loopback hosts)", name, raw)
	}
	return nil
}
