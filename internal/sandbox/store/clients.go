package store

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The sandbox's registered clients.
const (
	CLIClientID     = "hello-cli"
	CIClientID      = "hello-ci"
	CIClientSecret  = "hello-ci-secret"
	DefaultRedirect = "http://localhost:4040/callback"
	DefaultLogout   = "http://localhost:4040/"
)

// Client implements op.Client for the two static clients.
type Client struct {
	id          string
	secret      string // empty for the public client
	appType     op.ApplicationType
	authMethod  oidc.AuthMethod
	grantTypes  []oidc.GrantType
	redirects   []string
	logouts     []string
	permissions []string // granted to the client itself (client credentials)
	loginURL    string   // login page, the auth request id is appended
	idTokenTTL  time.Duration
}

// newClients returns the static clients. Their ID tokens live as long as
// access tokens (tokenTTL): an ID token is not an API credential, and one
// that outlived the access token would only widen the window in which a
// leaked one could be misused.
func newClients(loginURL string, tokenTTL time.Duration) map[string]*Client {
	return map[string]*Client{
		CLIClientID: {
			id:         CLIClientID,
			appType:    op.ApplicationTypeNative,
			authMethod: oidc.AuthMethodNone,
			grantTypes: []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode},
			// The library matches a native client's loopback redirect on path
			// alone (RFC 8252 §7.3, any port); Store.CreateAuthRequest then
			// applies the stricter IsLoopbackCallback.
			redirects:  []string{DefaultRedirect},
			logouts:    []string{DefaultLogout},
			loginURL:   loginURL,
			idTokenTTL: tokenTTL,
		},
		CIClientID: {
			id:          CIClientID,
			secret:      CIClientSecret,
			appType:     op.ApplicationTypeWeb,
			authMethod:  oidc.AuthMethodBasic,
			grantTypes:  []oidc.GrantType{oidc.GrantTypeClientCredentials},
			permissions: []string{PermissionReadAdminMessages},
			loginURL:    loginURL,
			idTokenTTL:  tokenTTL,
		},
	}
}

func (c *Client) GetID() string                       { return c.id }
func (c *Client) RedirectURIs() []string              { return slices.Clone(c.redirects) }
func (c *Client) PostLogoutRedirectURIs() []string    { return slices.Clone(c.logouts) }
func (c *Client) ApplicationType() op.ApplicationType { return c.appType }
func (c *Client) AuthMethod() oidc.AuthMethod         { return c.authMethod }
func (c *Client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *Client) GrantTypes() []oidc.GrantType         { return slices.Clone(c.grantTypes) }
func (c *Client) LoginURL(id string) string            { return c.loginURL + url.QueryEscape(id) }
func (c *Client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *Client) IDTokenLifetime() time.Duration       { return c.idTokenTTL }
func (c *Client) DevMode() bool                        { return false }
func (c *Client) ClockSkew() time.Duration             { return 0 }
func (c *Client) IsScopeAllowed(scope string) bool     { return false }
func (c *Client) IDTokenUserinfoClaimsAssertion() bool { return true } // name and email in the ID token, as Auth0 does

func (c *Client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *Client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *Client) Public() bool { return c.authMethod == oidc.AuthMethodNone }

// IsLoopbackCallback reports whether raw is an RFC 8252 §7.3 loopback
// redirect: http, host localhost, 127.0.0.1 or [::1], an explicit port, the
// exact path, and nothing else (no user info, query or fragment). The
// library's own check compares only path and query for loopback URIs and
// also accepts https, any loopback address and user info, so we apply this
// one on top of it.
func IsLoopbackCallback(raw, path string) bool {
	if strings.ContainsAny(raw, "#\\") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Opaque != "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Path != path || u.RawPath != "" {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if host != "localhost" && host != "127.0.0.1" && host != "::1" {
		return false
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return false
	}
	// Rejects spellings url.Parse tolerates, such as "localhost:80:80" or an
	// unbracketed IPv6 literal.
	return u.Host == net.JoinHostPort(host, port)
}

// SupportedScopes are the scopes the sandbox knows.
func SupportedScopes() []string {
	return []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess}
}
