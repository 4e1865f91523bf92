// Package provider is the sandbox identity provider behind "hello sandbox" and the
// integration tests: a real OpenID provider built on
// github.com/zitadel/oidc/v3/pkg/op, with our own storage, login, sign-up and
// device pages.
//
// The library does the protocol and the cryptography (token signing, PKCE,
// request validation); package store supplies users, clients, keys and
// tokens, and this package the web side: pages, forms, the browser session
// cookie, password throttling, and thin wrappers around the library's
// endpoints for the Auth0 behaviours it has no opinion on: audience and
// resource, screen_hint, strict loopback redirects, iss in authorization
// responses (RFC 9207), refusing repeated parameters, the refresh-token
// reuse interval, Retry-After on refusals.
//
// Paths served by Handler, besides discovery and the JWKS (/keys):
//
//	/authorize, /oauth/token, /device_authorization, /userinfo, /revoke,
//	/oauth/introspect, /end_session        the OpenID / OAuth endpoints
//	/login, /signup                        username + password, sign-up
//	/device, /device/approve               RFC 8628 verification pages
//	/logged-out                            where a logout without return address lands
//	/sandbox/stats                         Stats as JSON
//
// Built-in users: alice@example.com / alice-password (permission
// read:admin-messages) and bob@example.com / bob-password. Clients: the
// public native app hello-cli (PKCE S256 required, any loopback port) and
// the confidential hello-ci / hello-ci-secret (client credentials).
package provider

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/crypto/bcrypt"

	"github.com/hello-cli/hello/internal/sandbox/eventlog"
	"github.com/hello-cli/hello/internal/sandbox/store"
	"github.com/hello-cli/hello/internal/urlpolicy"
)

// The built-in users and clients, for the command's help and for tests.
const (
	AliceEmail                  = store.AliceEmail
	AlicePassword               = store.AlicePassword
	BobEmail                    = store.BobEmail
	BobPassword                 = store.BobPassword
	PermissionReadAdminMessages = store.PermissionReadAdminMessages
	CLIClientID                 = store.CLIClientID
	CIClientID                  = store.CIClientID
	CIClientSecret              = store.CIClientSecret
	PromptCreate                = store.PromptCreate
)

// Defaults for the zero values of Config.
const (
	DefaultAudience       = "https://hello-world.example.com"
	DefaultTokenTTL       = time.Hour
	DefaultDeviceInterval = 5 * time.Second
	DefaultDeviceCodeTTL  = 10 * time.Minute
	DefaultSessionTTL     = 24 * time.Hour
	DefaultRefreshTTL     = 30 * 24 * time.Hour
)

// Config configures a Provider. Only Issuer is required.
type Config struct {
	// Issuer is the provider's public URL, e.g. "http://127.0.0.1:5055",
	// without a path or trailing slash. Plain http is accepted only for a
	// loopback host.
	Issuer string
	// StateDir holds the signing key and the signed-up users, so both
	// survive a restart. Ignored when Ephemeral is set.
	StateDir string
	// Ephemeral keeps everything in memory.
	Ephemeral bool
	// TokenTTL is the lifetime of access tokens and ID tokens (default 1h).
	TokenTTL time.Duration
	// Audience is the API identifier accepted in the audience parameter
	// (default DefaultAudience).
	Audience string
	// DeviceInterval is the polling interval announced by the device
	// authorization endpoint (default 5s; whole seconds on the wire, at
	// least 1s).
	DeviceInterval time.Duration
	// DeviceCodeTTL is how long a device code can be approved (default 10m).
	DeviceCodeTTL time.Duration
	// SessionTTL is how long the provider's browser session lets a user skip
	// the password (default 24h).
	SessionTTL time.Duration
	// RefreshTokenTTL is the lifetime of a refresh-token family (default 30 days).
	RefreshTokenTTL time.Duration
	// RefreshReuseInterval is Auth0's "rotation overlap period" (default 0,
	// as Auth0's): for this long after a rotation the previous refresh
	// token works once more and gets the same new tokens, so that a lost
	// response does not log the user out. Outside it, reuse revokes the
	// login's tokens.
	RefreshReuseInterval time.Duration
	// PasswordCost is the bcrypt cost for signed-up users' passwords
	// (default bcrypt.DefaultCost). Tests lower it to bcrypt.MinCost: the
	// race detector makes bcrypt very slow.
	PasswordCost int
	// Limits caps the storage's tables (zero: store.DefaultLimits).
	Limits store.Limits
	// Now is the clock; nil means time.Now. Tests move it instead of sleeping.
	Now func() time.Time
	// Logger receives the provider's own events. May be nil.
	Logger *slog.Logger
}

// Stats counts what the provider did (see store.Stats).
type Stats = store.Stats

// Provider is a running sandbox identity provider. Serve Handler() on the
// listener whose address Config.Issuer names.
type Provider struct {
	cfg     Config
	issuer  *url.URL
	log     *slog.Logger
	now     func() time.Time
	store   *store.Store
	op      *op.Provider
	pages   *pages
	handler http.Handler
	cookies cookieNames
	csrfKey [32]byte
	// guesses counts failed device user-code lookups per client address.
	guesses *failureLimiter
	// logins throttles password guessing per account and per address.
	logins *loginThrottle
	// folds keeps repeated refusals to one log line a minute.
	folds eventlog.Limiter
	// signups caps how fast accounts are made.
	signups *signupLimiter
	// events folds repeated identical events (same kind, client and user)
	// into one line a minute with a count; see event.
	events eventlog.Limiter
}

// New validates cfg, loads or creates the persistent state and builds the
// provider. ctx bounds the start-up work only.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	cfg, issuer, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	st, err := store.Open(ctx, store.Config{
		Issuer:               cfg.Issuer,
		LoginURL:             cfg.Issuer + loginPath + "?id=",
		StateDir:             cfg.StateDir,
		Ephemeral:            cfg.Ephemeral,
		TokenTTL:             cfg.TokenTTL,
		Audience:             cfg.Audience,
		DeviceInterval:       cfg.DeviceInterval,
		DeviceCodeTTL:        cfg.DeviceCodeTTL,
		SessionTTL:           cfg.SessionTTL,
		RefreshTokenTTL:      cfg.RefreshTokenTTL,
		PasswordCost:         cfg.PasswordCost,
		RefreshReuseInterval: cfg.RefreshReuseInterval,
		Limits:               cfg.Limits,
		Now:                  cfg.Now,
		Logger:               logger,
	})
	if err != nil {
		return nil, fmt.Errorf("idp: %w", err)
	}
	p := &Provider{
		cfg: cfg, issuer: issuer, log: logger, now: cfg.Now, store: st, cookies: newCookieNames(cfg.Issuer),
		guesses: newFailureLimiter(maxCodeFailures, codeFailureWindow), logins: newLoginThrottle(),
	}
	p.signups = &signupLimiter{limit: st.Limits().SignupsPerMinute, window: time.Minute}
	if _, err := rand.Read(p.csrfKey[:]); err != nil {
		return nil, fmt.Errorf("idp: CSRF key: %w", err)
	}

	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("idp: auth-code key: %w", err)
	}
	opConfig := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: cfg.Issuer + loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          store.SupportedScopes(),
		SupportedClaims:          supportedClaims(),
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     cfg.DeviceCodeTTL,
			PollInterval: cfg.DeviceInterval,
			UserFormPath: devicePath,
			UserCode:     op.UserCodeBase20,
		},
	}
	opts := []op.Option{}
	if issuer.Scheme == "http" {
		// Plain http is fine only because withDefaults checked the host is callback.
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(opConfig, st, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("idp: provider: %w", err)
	}
	p.pages, err = newPages()
	if err != nil {
		return nil, fmt.Errorf("idp: templates: %w", err)
	}
	p.handler = p.routes()
	logger.Debug("identity provider ready", "issuer", cfg.Issuer, "kid", st.KeyID(), "ephemeral", cfg.Ephemeral)
	return p, nil
}

// Handler serves everything: discovery, the OpenID endpoints, the login,
// sign-up, device and logged-out pages, and /sandbox/stats.
func (p *Provider) Handler() http.Handler { return p.handler }

// Stats returns a snapshot of the grant counters.
func (p *Provider) Stats() Stats { return p.store.Stats() }

func (c Config) withDefaults() (Config, *url.URL, error) {
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	u, err := url.Parse(c.Issuer)
	if err != nil {
		return c, nil, fmt.Errorf("idp: issuer %q: %w", c.Issuer, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return c, nil, fmt.Errorf("idp: issuer %q: want scheme://host[:port] without path, query or fragment", c.Issuer)
	}
	if u.Scheme == "http" && !urlpolicy.IsLoopbackHost(u.Hostname()) {
		return c, nil, fmt.Errorf("idp: issuer %q: plain http is allowed only on a loopback host", c.Issuer)
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = DefaultTokenTTL
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.DeviceInterval <= 0 {
		c.DeviceInterval = DefaultDeviceInterval
	}
	// The interval travels in whole seconds; anything shorter would be sent
	// as 0, which clients read as "use 5 seconds".
	c.DeviceInterval = max(c.DeviceInterval.Round(time.Second), time.Second)
	if c.DeviceCodeTTL <= 0 {
		c.DeviceCodeTTL = DefaultDeviceCodeTTL
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.PasswordCost == 0 {
		c.PasswordCost = bcrypt.DefaultCost
	}
	if c.PasswordCost < bcrypt.MinCost || c.PasswordCost > bcrypt.MaxCost {
		return c, nil, fmt.Errorf("idp: PasswordCost %d out of bcrypt's range %d..%d", c.PasswordCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if c.RefreshTokenTTL <= 0 {
		c.RefreshTokenTTL = DefaultRefreshTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RefreshReuseInterval < 0 {
		return c, nil, fmt.Errorf("idp: RefreshReuseInterval %v is negative", c.RefreshReuseInterval)
	}
	return c, u, nil
}
