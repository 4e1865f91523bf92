// Package store is the sandbox provider's storage, the op.Storage of
// github.com/zitadel/oidc/v3/pkg/op: users, clients, pending authorization
// requests and codes, access tokens, refresh-token families, device codes,
// browser sessions and the signing key. It knows nothing of HTTP; the
// provider package serves the pages and endpoints on top of it.
//
// Every time it compares is read from Config.Now, so tests move a clock
// instead of sleeping.
package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	// AuthRequestTTL bounds how long a user may take on the login page.
	AuthRequestTTL = 15 * time.Minute
	// sweepEvery is how often expired entries are purged from the maps.
	sweepEvery = time.Minute
)

// Config configures a Store. The provider fills in every duration.
type Config struct {
	Issuer string
	// LoginURL is the login page; the auth request id is appended.
	LoginURL string
	// StateDir holds the signing key and the signed-up users; ignored when
	// Ephemeral is set.
	StateDir  string
	Ephemeral bool

	TokenTTL        time.Duration
	Audience        string
	DeviceInterval  time.Duration
	DeviceCodeTTL   time.Duration
	SessionTTL      time.Duration
	RefreshTokenTTL time.Duration
	// RefreshReuseInterval is Auth0's rotation overlap period: for this
	// long after a rotation, the previous refresh token works once more.
	RefreshReuseInterval time.Duration
	PasswordCost         int

	// Limits caps the tables; the zero value means DefaultLimits.
	Limits Limits
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Limits caps the in-memory tables anyone can fill by calling an endpoint,
// so the sandbox's memory stays bounded under a flood. Tests lower them.
type Limits struct {
	AuthRequests int // pending /authorize requests
	Sessions     int // browser sessions
	Devices      int // device authorizations
	Families     int // refresh-token families
	AccessTokens int // live access tokens (for /userinfo and revocation)
}

// DefaultLimits are the caps used when Config.Limits is zero.
var DefaultLimits = Limits{AuthRequests: 10_000, Sessions: 10_000, Devices: 10_000, Families: 100_000, AccessTokens: 100_000}

// Compile-time checks of the optional interfaces the library looks for.
var (
	_ op.Storage                        = (*Store)(nil)
	_ op.ClientCredentialsStorage       = (*Store)(nil)
	_ op.DeviceAuthorizationStorage     = (*Store)(nil)
	_ op.CanSetUserinfoFromRequest      = (*Store)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*Store)(nil)
	_ op.CanTerminateSessionFromRequest = (*Store)(nil)
)

// Store implements op.Storage and the optional interfaces above. All
// mutable state lives behind mu; the user store has its own lock.
type Store struct {
	cfg     Config
	now     func() time.Time
	key     *signingKey
	users   *userStore
	clients map[string]*Client // read-only after construction
	log     *slog.Logger
	limits  Limits
	// refreshKey authenticates refresh tokens, which name their family and
	// generation (see refreshTokenValue).
	refreshKey [32]byte

	mu            sync.Mutex
	authRequests  map[string]*AuthRequest
	codes         map[string]string // auth code -> auth request id
	accessTokens  map[string]*accessToken
	families      map[string]*refreshFamily // keyed by family id
	devices       map[string]*deviceAuth    // keyed by device_code
	userCodes     map[string]string         // normalised user_code -> device_code
	sessions      map[string]*Session
	grants        map[string]int
	reuseDetected int
	lastSweep     time.Time
}

// Open loads or creates the persistent state (signing key, signed-up users)
// and returns the store. ctx bounds the start-up work only.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	var persist *stateDir
	if !cfg.Ephemeral {
		if cfg.StateDir == "" {
			return nil, errors.New("StateDir is required unless Ephemeral is set")
		}
		persist = &stateDir{path: cfg.StateDir}
	}
	key, err := loadOrCreateKey(ctx, persist)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	users, err := loadUsers(persist, cfg.PasswordCost, cfg.Now, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	s := &Store{
		cfg:          cfg,
		now:          cfg.Now,
		key:          key,
		users:        users,
		clients:      newClients(cfg.LoginURL, cfg.TokenTTL),
		log:          cfg.Logger,
		limits:       cfg.Limits,
		authRequests: map[string]*AuthRequest{},
		codes:        map[string]string{},
		accessTokens: map[string]*accessToken{},
		families:     map[string]*refreshFamily{},
		devices:      map[string]*deviceAuth{},
		userCodes:    map[string]string{},
		sessions:     map[string]*Session{},
		grants:       newGrantCounts(),
	}
	if _, err := rand.Read(s.refreshKey[:]); err != nil {
		return nil, fmt.Errorf("refresh-token key: %w", err)
	}
	return s, nil
}

// KeyID returns the kid of the signing key.
func (s *Store) KeyID() string { return s.key.id }

// Client returns a registered client.
func (s *Store) Client(id string) (*Client, bool) {
	c, ok := s.clients[id]
	return c, ok
}

// Request carries the Auth0-style parameters the library does not parse
// (audience or resource, screen_hint) from the provider's HTTP wrappers into
// the storage callbacks, which only receive the request's context.
type Request struct {
	Audience   string
	ScreenHint string
}

type requestKey struct{}

// WithRequest returns ctx carrying r for the storage callbacks.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// audienceList is the aud claim for a grant. The client id is always
// included: the library uses the same list for the ID token, whose aud must
// contain the client id.
func audienceList(api, clientID string) []string {
	if api == "" || api == clientID {
		return []string{clientID}
	}
	return []string{api, clientID}
}

// sweepLocked drops expired entries, at most once per sweepEvery unless
// force is set (a table is full). Callers hold s.mu.
func (s *Store) sweepLocked(now time.Time, force bool) {
	if !force && now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	for id, ar := range s.authRequests {
		if now.Sub(ar.created) > AuthRequestTTL {
			delete(s.authRequests, id)
			if ar.code != "" {
				delete(s.codes, ar.code)
			}
		}
	}
	for id, at := range s.accessTokens {
		if now.After(at.expires) {
			delete(s.accessTokens, id)
		}
	}
	for id, f := range s.families {
		// A revoked family stays until it would have expired: it is the
		// marker that makes a late reuse of any of its tokens recognisable.
		if now.After(f.expires) {
			delete(s.families, id)
		}
	}
	for code, d := range s.devices {
		// Kept past expiry for a while so late polls get expired_token
		// rather than an unknown-code error.
		if now.After(d.expires.Add(s.cfg.DeviceCodeTTL)) {
			delete(s.devices, code)
			delete(s.userCodes, normalizeUserCode(d.userCode))
		}
	}
	for id, bs := range s.sessions {
		if now.After(bs.Expires) {
			delete(s.sessions, id)
		}
	}
}

// ---- clients ----

// GetClientByClientID answers invalid_client for an unknown id: a plain
// error would surface as server_error (500) on the refresh path.
func (s *Store) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	return c, nil
}

func (s *Store) confidentialClient(clientID, secret string) (*Client, error) {
	c, ok := s.clients[clientID]
	if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return nil, errors.New("wrong client id or secret")
	}
	return c, nil
}

func (s *Store) AuthorizeClientIDSecret(_ context.Context, clientID, clientSecret string) error {
	_, err := s.confidentialClient(clientID, clientSecret)
	return err
}

func (s *Store) ClientCredentials(_ context.Context, clientID, clientSecret string) (op.Client, error) {
	return s.confidentialClient(clientID, clientSecret)
}

// ClientCredentialsTokenRequest grants the client's own permissions, or the
// requested subset of them.
func (s *Store) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, oidc.ErrInvalidClient()
	}
	granted := slices.Clone(c.permissions)
	if len(scopes) > 0 {
		for _, sc := range scopes {
			if !slices.Contains(c.permissions, sc) {
				return nil, oidc.ErrInvalidScope().WithDescription("scope not granted to this client")
			}
		}
		granted = slices.Clone(scopes)
	}
	// Auth0 requires an audience for client credentials; defaulting to the
	// sandbox API is friendlier and there is only one.
	aud := requestFrom(ctx).Audience
	if aud == "" {
		aud = s.cfg.Audience
	}
	return &clientCredentialsRequest{clientID: clientID, scopes: granted, audience: []string{aud}}, nil
}

// clientCredentialsRequest is the op.TokenRequest of a client-credentials grant.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
	audience []string
}

// GetSubject follows Auth0: machine tokens have sub "<client id>@clients".
func (r *clientCredentialsRequest) GetSubject() string    { return r.clientID + "@clients" }
func (r *clientCredentialsRequest) GetAudience() []string { return r.audience }
func (r *clientCredentialsRequest) GetScopes() []string   { return r.scopes }

// ---- keys ----

func (s *Store) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *Store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *Store) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// GetKeyByIDAndClientID serves JWT-profile client authentication, which no
// sandbox client uses.
func (s *Store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("no client keys registered")
}

func (s *Store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("JWT profile grant not supported")
}

func (s *Store) Health(context.Context) error { return nil }

// ---- claims ----

// SetUserinfoFromScopes is deprecated in the library in favour of
// SetUserinfoFromRequest and must stay empty.
func (s *Store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *Store) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, ok := s.users.get(req.GetSubject())
	if !ok {
		return oidc.ErrInvalidGrant().WithDescription("user no longer exists")
	}
	fillUserinfo(info, u, scopes)
	return nil
}

// SetUserinfoFromToken serves /userinfo for a still-valid access token.
func (s *Store) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	at, ok := s.accessTokens[tokenID]
	var scopes []string
	if ok {
		scopes = slices.Clone(at.scopes)
	}
	s.mu.Unlock()
	if !ok || at.subject != subject || s.now().After(at.expires) {
		return oidc.ErrInvalidRequest().WithDescription("access token revoked or unknown")
	}
	u, ok := s.users.get(subject)
	if !ok {
		return oidc.ErrInvalidRequest().WithDescription("the token's subject is not a user")
	}
	fillUserinfo(info, u, scopes)
	return nil
}

func (s *Store) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accessTokens[tokenID]
	if !ok || at.subject != subject || s.now().After(at.expires) {
		return errors.New("token not active")
	}
	// Introspection is for the API the token was issued to; the only
	// confidential client may introspect its own tokens.
	if at.clientID != clientID {
		return errors.New("token issued to another client")
	}
	resp.Scope = slices.Clone(at.scopes)
	resp.ClientID = at.clientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(at.expires)
	resp.Subject = at.subject
	resp.Audience = slices.Clone(at.audience)
	resp.Issuer = s.cfg.Issuer
	resp.JWTID = at.id
	return nil
}

// GetPrivateClaimsFromScopes is only used when CanGetPrivateClaimsFromRequest
// is not implemented.
func (s *Store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the Auth0-style access-token claims:
// scope as a space-separated string, permissions as an array, and azp.
func (s *Store) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	perms := []string{}
	var clientID string
	switch r := req.(type) {
	case *clientCredentialsRequest:
		clientID = r.clientID
		perms = append(perms, s.clients[r.clientID].permissions...)
	default:
		if u, ok := s.users.get(req.GetSubject()); ok {
			perms = append(perms, u.Permissions...)
		}
		if c, ok := req.(interface{ GetClientID() string }); ok {
			clientID = c.GetClientID()
		}
	}
	claims := map[string]any{
		"scope":       strings.Join(req.GetScopes(), " "),
		"permissions": perms,
	}
	if clientID != "" {
		claims["azp"] = clientID
	}
	return claims, nil
}

func fillUserinfo(info *oidc.UserInfo, u User, scopes []string) {
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.Nickname = strings.SplitN(u.Email, "@", 2)[0]
		if !u.CreatedAt.IsZero() {
			info.UpdatedAt = oidc.FromTime(u.CreatedAt)
		}
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
		if !u.EmailVerified {
			// The library omits a false email_verified; say it explicitly.
			info.AppendClaims("email_verified", false)
		}
	}
}

// ---- stats ----

func newGrantCounts() map[string]int {
	return map[string]int{
		string(oidc.GrantTypeCode):              0,
		string(oidc.GrantTypeRefreshToken):      0,
		string(oidc.GrantTypeClientCredentials): 0,
		string(oidc.GrantTypeDeviceCode):        0,
	}
}

// RecordGrant counts a successful token response.
func (s *Store) RecordGrant(grantType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.grants[grantType]; ok {
		s.grants[grantType]++
	}
}

// Stats returns a snapshot of the grant counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now(), false)
	st := Stats{Grants: make(map[string]int, len(s.grants)), RefreshReuseDetected: s.reuseDetected, Live: map[string]int{
		"auth_requests":    len(s.authRequests),
		"access_tokens":    len(s.accessTokens),
		"refresh_families": len(s.families),
		"device_codes":     len(s.devices),
		"sessions":         len(s.sessions),
	}}
	for k, v := range s.grants {
		st.Grants[k] = v
	}
	return st
}

// soonestExpiring returns the key of the entry of a non-empty table that
// expires first: the one to evict when a capped table is still full.
func soonestExpiring[V any](m map[string]V, expires func(V) time.Time) string {
	var key string
	var first time.Time
	for k, v := range m {
		if e := expires(v); key == "" || e.Before(first) {
			key, first = k, e
		}
	}
	return key
}

// Stats counts what the provider did. Tests use it to prove, for example,
// that several concurrent CLI processes caused exactly one refresh.
type Stats struct {
	// Grants counts successful token responses by grant_type.
	Grants map[string]int `json:"grants"`
	// RefreshReuseDetected counts presentations of an already rotated refresh
	// token (each revokes that token's family).
	RefreshReuseDetected int `json:"refresh_reuse_detected"`
	// Live counts the entries of each in-memory table, expired ones
	// dropped: what memory holds.
	Live map[string]int `json:"live"`
}
