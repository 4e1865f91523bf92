// Package oidcclient implements the client side of the OpenID Connect flows
// hello uses: browser login (authorization code + PKCE), device
// authorization, client credentials, refresh, revocation, RP-initiated
// logout and userinfo.
//
// Every request goes through the configured *http.Client, and every answer
// that is not a success comes back as an *httperr.Error carrying the status
// and the OAuth error: discovery and the signing keys are fetched here, not
// by go-oidc, which would flatten their status into text. go-oidc verifies
// ID tokens; golang.org/x/oauth2 builds the authorization URL and runs the
// device grant. The parameters of each request are built in params.go.
package oidcclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/urlpolicy"
)

// Scopes are requested by the interactive logins: an ID token with the
// profile and email claims, and a refresh token (offline_access).
var Scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}

const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// maxDiscovery bounds the discovery document and the key set.
const maxDiscovery = 1 << 20

// Config says which provider and client to use.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string // empty for a public client
	// SecretWithheld, when set, says the client is confidential but its
	// secret may not go to this issuer: every request that would
	// authenticate the client fails with it before anything is sent.
	SecretWithheld error
	Audience       string // API identifier: "audience" (Auth0), RFC 8707 "resource" (others)
	// Dialect says how the provider wants the API and offline access asked
	// for; DialectAuto (or "") detects Auth0.
	Dialect Dialect
	// HTTPClient carries every request (discovery, JWKS, token, …);
	// http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock for token expiry and ID-token checks; time.Now when nil.
	Now func() time.Time

	// after waits between device-flow polls; time.After when nil. Tests
	// set it, with Now, to a clock that moves only when asked to wait, so
	// intervals and slow_down are checked without waiting for them.
	after func(time.Duration) <-chan time.Time
}

// Metadata is the discovery document (OpenID Connect Discovery 1.0).
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	PromptValuesSupported             []string `json:"prompt_values_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`

	// RFC 9126 (PAR), RFC 9207 (iss in the authorization response), and
	// Auth0's own field that tells an Auth0 tenant on a custom domain.
	PushedAuthorizationRequestEndpoint         string `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests         bool   `json:"require_pushed_authorization_requests"`
	AuthorizationResponseIssParameterSupported bool   `json:"authorization_response_iss_parameter_supported"`
	MFAChallengeEndpoint                       string `json:"mfa_challenge_endpoint"`
}

// Client runs the flows against one discovered provider.
type Client struct {
	cfg      Config
	meta     Metadata
	keys     *keySet
	verifier *oidc.IDTokenVerifier
	params   RequestParams // provider-specific parameters, see dialect.go
}

// IssuerMismatchError is a discovery document for another issuer than the
// one configured. OpenID Connect compares issuers byte for byte.
type IssuerMismatchError struct {
	Configured, Advertised string
}

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("the provider at %s calls itself %s: set the issuer to exactly %s (a trailing slash counts)", e.Configured, e.Advertised, e.Advertised)
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
	if cfg.after == nil {
		cfg.after = time.After
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	c := &Client{cfg: cfg}
	if err := c.discover(ctx); err != nil {
		return nil, err
	}
	if err := c.checkEndpoints(); err != nil {
		return nil, fmt.Errorf("the provider's discovery document is unsafe: %w", err)
	}
	c.params = NewRequestParams(cfg.Dialect, ProviderFacts{
		Issuer:                c.meta.Issuer,
		MFAChallengeEndpoint:  c.meta.MFAChallengeEndpoint,
		PromptValuesSupported: c.meta.PromptValuesSupported,
	}, cfg.Audience)
	c.keys = &keySet{hc: cfg.HTTPClient, url: c.meta.JWKSURI, now: cfg.Now}
	c.verifier = oidc.NewVerifier(c.meta.Issuer, c.keys, &oidc.Config{
		ClientID:             cfg.ClientID,
		Now:                  cfg.Now,
		SupportedSigningAlgs: c.meta.IDTokenSigningAlgValuesSupported,
	})
	return c, nil
}

// discover fetches and checks the discovery document.
func (c *Client) discover(ctx context.Context) error {
	wellKnown := strings.TrimSuffix(c.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	body, err := getJSON(ctx, c.cfg.HTTPClient, httperr.Discovery, wellKnown, c.cfg.Now)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, &c.meta); err != nil {
		return fmt.Errorf("the provider's discovery document at %s is not valid JSON: check the issuer (%v)", wellKnown, err)
	}
	if c.meta.Issuer != c.cfg.Issuer {
		return &IssuerMismatchError{Configured: c.cfg.Issuer, Advertised: c.meta.Issuer}
	}
	if c.meta.AuthorizationEndpoint == "" || c.meta.TokenEndpoint == "" || c.meta.JWKSURI == "" {
		return fmt.Errorf("the provider's discovery document at %s lacks the authorization, token or jwks_uri endpoint", wellKnown)
	}
	return nil
}

// getJSON GETs a JSON document; a failed answer is an *httperr.Error.
func getJSON(ctx context.Context, hc *http.Client, what httperr.What, u string, now func() time.Time) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, unreachable(what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, httperr.FromResponse(what, resp, now())
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(http.MaxBytesReader(nil, resp.Body, maxDiscovery)); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return b.Bytes(), nil
}

// unreachable words a request that got no answer. The cause stays wrapped:
// the command layer maps the network error, not this text.
func unreachable(what httperr.What, err error) error {
	var dial *net.OpError
	isDial := errors.As(err, &dial) && dial.Op == "dial"
	var ne net.Error
	if !isDial && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) {
		// Connected, sent, and no answer in time: the network and the
		// issuer are right, the provider is slow.
		return fmt.Errorf("%s did not answer in time: try again later (%w)", what, err)
	}
	return fmt.Errorf("%s could not be reached: check your network and the issuer, then try again (%w)", what, err)
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

// UserInfoEndpoint is the provider's userinfo URL, "" when it has none.
func (c *Client) UserInfoEndpoint() string { return c.meta.UserInfoEndpoint }

// Auth0 reports whether the provider is treated as Auth0 (see Dialect).
func (c *Client) Auth0() bool { return c.params.Auth0() }

// Dialect says in a few words how the API and offline access are asked
// for, for --verbose.
func (c *Client) Dialect() string { return c.params.Describe() }

// Issuer is the provider's issuer URL.
func (c *Client) Issuer() string { return c.meta.Issuer }

// HasRevocation reports whether the provider can revoke tokens (RFC 7009).
func (c *Client) HasRevocation() bool { return c.meta.RevocationEndpoint != "" }

// HasEndSession reports whether the provider can end its browser session
// (RP-Initiated Logout), or, for Auth0, through its /v2/logout.
func (c *Client) HasEndSession() bool { return c.meta.EndSessionEndpoint != "" || c.params.Auth0() }

// HasSignupScreen reports whether a login can start on the provider's
// sign-up screen: Auth0 reads screen_hint=signup, others must advertise
// prompt=create (OIDC Prompt Create 1.0).
func (c *Client) HasSignupScreen() bool {
	return c.params.Auth0() || slices.Contains(c.meta.PromptValuesSupported, "create")
}

// ctx attaches the configured HTTP client where x/oauth2 looks for it.
func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
}

// canAuthenticate is the gate before any request that carries the client's
// credentials: token requests, PAR, device authorization and revocation.
func (c *Client) canAuthenticate() error { return c.cfg.SecretWithheld }

// oauth2Config is the client's x/oauth2 configuration with the given scopes.
func (c *Client) oauth2Config(redirectURL string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       c.meta.AuthorizationEndpoint,
			TokenURL:      c.meta.TokenEndpoint,
			DeviceAuthURL: c.meta.DeviceAuthorizationEndpoint,
			AuthStyle:     c.authStyle(),
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
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

func (c *Client) verify(ctx context.Context, raw string) (*oidc.IDToken, error) {
	// The keys first, on their own: go-oidc flattens a key-set failure into
	// text, and a provider failing to serve its keys is "try again later".
	if err := c.keys.load(ctx); err != nil {
		return nil, err
	}
	tok, err := c.verifier.Verify(ctx, raw)
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
	if err := dec.Decode(&m); errors.Is(err, io.EOF) {
		// Not wrapped: io.EOF means a connection closed before the
		// answer, and this answer arrived, empty.
		return nil, errors.New("decode claims: the answer is empty")
	} else if err != nil {
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
	endpoints := map[string]string{
		"authorization_endpoint":                c.meta.AuthorizationEndpoint,
		"token_endpoint":                        c.meta.TokenEndpoint,
		"userinfo_endpoint":                     c.meta.UserInfoEndpoint,
		"device_authorization_endpoint":         c.meta.DeviceAuthorizationEndpoint,
		"revocation_endpoint":                   c.meta.RevocationEndpoint,
		"end_session_endpoint":                  c.meta.EndSessionEndpoint,
		"jwks_uri":                              c.meta.JWKSURI,
		"pushed_authorization_request_endpoint": c.meta.PushedAuthorizationRequestEndpoint,
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
	if !urlpolicy.Secure(u) {
		return fmt.Errorf("%s %q must be https (http is allowed only for loopback hosts)", name, raw)
	}
	return nil
}
