package provider

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
	// authRequestTTL bounds how long a user may take on the login page.
	authRequestTTL = 15 * time.Minute
	// sweepEvery is how often expired entries are purged from the maps.
	sweepEvery = time.Minute
)

// limits caps the in-memory tables anyone can fill by calling an endpoint,
// so the sandbox's memory stays bounded under a flood. Tests lower them.
type limits struct {
	authRequests int // pending /authorize requests
	sessions     int // browser sessions
	devices      int // device authorizations
	families     int // refresh-token families
	accessTokens int // live access tokens (for /userinfo and revocation)
}

var defaultLimits = limits{authRequests: 10_000, sessions: 10_000, devices: 10_000, families: 100_000, accessTokens: 100_000}

// Compile-time checks of the optional interfaces the library looks for.
var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.DeviceAuthorizationStorage     = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// storage implements op.Storage and the optional interfaces above. All
// mutable state lives behind mu; the user store has its own lock.
type storage struct {
	cfg     Config
	key     *signingKey
	users   *userStore
	clients map[string]*client // read-only after construction
	log     *slog.Logger
	limits  limits
	// refreshKey authenticates refresh tokens, which name their family and
	// generation (see refreshTokenValue).
	refreshKey [32]byte

	mu            sync.Mutex
	authRequests  map[string]*authRequest
	codes         map[string]string // auth code -> auth request id
	accessTokens  map[string]*accessToken
	families      map[string]*refreshFamily // keyed by family id
	devices       map[string]*deviceAuth    // keyed by device_code
	userCodes     map[string]string         // normalised user_code -> device_code
	sessions      map[string]*browserSession
	grants        map[string]int
	reuseDetected int
	lastSweep     time.Time
}

func newStorage(cfg Config, key *signingKey, users *userStore, logger *slog.Logger) (*storage, error) {
	s := &storage{
		cfg:          cfg,
		key:          key,
		users:        users,
		clients:      newClients(cfg.Issuer, cfg.TokenTTL),
		log:          logger,
		limits:       defaultLimits,
		authRequests: map[string]*authRequest{},
		codes:        map[string]string{},
		accessTokens: map[string]*accessToken{},
		families:     map[string]*refreshFamily{},
		devices:      map[string]*deviceAuth{},
		userCodes:    map[string]string{},
		sessions:     map[string]*browserSession{},
		grants:       newGrantCounts(),
	}
	if _, err := rand.Read(s.refreshKey[:]); err != nil {
		return nil, fmt.Errorf("refresh-token key: %w", err)
	}
	return s, nil
}

// requestExtras carries the Auth0-style parameters the library does not
// parse (audience, screen_hint) from our HTTP wrappers into the storage
// callbacks, which only receive the request's context.
type requestExtras struct {
	audience   string
	screenHint string
}

type extrasKey struct{}

func withExtras(ctx context.Context, e requestExtras) context.Context {
	return context.WithValue(ctx, extrasKey{}, e)
}

func extrasFrom(ctx context.Context) requestExtras {
	e, _ := ctx.Value(extrasKey{}).(requestExtras)
	return e
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
func (s *storage) sweepLocked(now time.Time, force bool) {
	if !force && now.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = now
	for id, ar := range s.authRequests {
		if now.Sub(ar.created) > authRequestTTL {
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
		if now.After(bs.expires) {
			delete(s.sessions, id)
		}
	}
}

// ---- clients ----

// GetClientByClientID answers invalid_client for an unknown id: a plain
// error would surface as server_error (500) on the refresh path.
func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	return c, nil
}

func (s *storage) confidentialClient(clientID, secret string) (*client, error) {
	c, ok := s.clients[clientID]
	if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return nil, errors.New("wrong client id or secret")
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, clientSecret string) error {
	_, err := s.confidentialClient(clientID, clientSecret)
	return err
}

func (s *storage) ClientCredentials(_ context.Context, clientID, clientSecret string) (op.Client, error) {
	return s.confidentialClient(clientID, clientSecret)
}

// ClientCredentialsTokenRequest grants the client's own permissions, or the
// requested subset of them.
func (s *storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
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
	aud := extrasFrom(ctx).audience
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

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// GetKeyByIDAndClientID serves JWT-profile client authentication, which no
// sandbox client uses.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrInvalidClient().WithDescription("no client keys registered")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient().WithDescription("JWT profile grant not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// ---- claims ----

// SetUserinfoFromScopes is deprecated in the library in favour of
// SetUserinfoFromRequest and must stay empty.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's user claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, ok := s.users.get(req.GetSubject())
	if !ok {
		return oidc.ErrInvalidGrant().WithDescription("user no longer exists")
	}
	fillUserinfo(info, u, scopes)
	return nil
}

// SetUserinfoFromToken serves /userinfo for a still-valid access token.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	at, ok := s.accessTokens[tokenID]
	var scopes []string
	if ok {
		scopes = slices.Clone(at.scopes)
	}
	s.mu.Unlock()
	if !ok || at.subject != subject || time.Now().After(at.expires) {
		return oidc.ErrInvalidRequest().WithDescription("access token revoked or unknown")
	}
	u, ok := s.users.get(subject)
	if !ok {
		return oidc.ErrInvalidRequest().WithDescription("the token's subject is not a user")
	}
	fillUserinfo(info, u, scopes)
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accessTokens[tokenID]
	if !ok || at.subject != subject || time.Now().After(at.expires) {
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
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the Auth0-style access-token claims:
// scope as a space-separated string, permissions as an array, and azp.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
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

func fillUserinfo(info *oidc.UserInfo, u user, scopes []string) {
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

func (s *storage) recordGrant(grantType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.grants[grantType]; ok {
		s.grants[grantType]++
	}
}

func (s *storage) stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Grants: make(map[string]int, len(s.grants)), RefreshReuseDetected: s.reuseDetected}
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
