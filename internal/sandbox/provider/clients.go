package provider

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

// client implements op.Client for the two static clients.
type client struct {
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
func newClients(issuer string, tokenTTL time.Duration) map[string]*client {
	return map[string]*client{
		CLIClientID: {
			id:         CLIClientID,
			appType:    op.ApplicationTypeNative,
			authMethod: oidc.AuthMethodNone,
			grantTypes: []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode},
			// The library matches a native client's loopback redirect on path
			// alone (RFC 8252 §7.3, any port); storage.CreateAuthRequest then
			// applies the stricter isLoopbackCallback.
			redirects:  []string{DefaultRedirect},
			logouts:    []string{DefaultLogout},
			loginURL:   issuer + loginPath + "?id=",
			idTokenTTL: tokenTTL,
		},
		CIClientID: {
			id:          CIClientID,
			secret:      CIClientSecret,
			appType:     op.ApplicationTypeWeb,
			authMethod:  oidc.AuthMethodBasic,
			grantTypes:  []oidc.GrantType{oidc.GrantTypeClientCredentials},
			permissions: []string{PermissionReadAdminMessages},
			loginURL:    issuer + loginPath + "?id=",
			idTokenTTL:  tokenTTL,
		},
	}
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return slices.Clone(c.redirects) }
func (c *client) PostLogoutRedirectURIs() []string    { return slices.Clone(c.logouts) }
func (c *client) ApplicationType() op.ApplicationType { return c.appType }
func (c *client) AuthMethod() oidc.AuthMethod         { return c.authMethod }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType         { return slices.Clone(c.grantTypes) }
func (c *client) LoginURL(id string) string            { return c.loginURL + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return c.idTokenTTL }
func (c *client) DevMode() bool                        { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) IsScopeAllowed(scope string) bool     { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true } // name and email in the ID token, as Auth0 does

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) public() bool { return c.authMethod == oidc.AuthMethodNone }

// isLoopbackCallback reports whether raw is an RFC 8252 §7.3 loopback
// redirect: http, host localhost, 127.0.0.1 or [::1], an explicit port, the
// exact path, and nothing else (no user info, query or fragment). The
// library's own check compares only path and query for loopback URIs and
// also accepts https, any loopback address and user info, so we apply this
// one on top of it.
func isLoopbackCallback(raw, path string) bool {
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
