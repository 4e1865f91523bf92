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
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hello-cli/hello/internal/sandbox/eventlog"
)

const (
	// AuthRequestTTL bounds how long a user may take on the login page.
	AuthRequestTTL = 15 * time.Minute
	// UnusedAuthRequestTTL bounds how long a request may wait for its login
	// page to be opened. A browser opens it at once (/authorize redirects
	// there); what is left unopened this long came from no browser.
	UnusedAuthRequestTTL = 2 * time.Minute
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
// so the sandbox's memory stays bounded under a flood. Each table has a
// total cap and a cap per owner, the client or user it was made for, so
// one client exhausting its share is refused (temporarily_unavailable with
// Retry-After) while the others go on. Tests lower them.
type Limits struct {
	AuthRequests          int // pending /authorize requests
	AuthRequestsPerClient int
	Devices               int // device authorizations
	DevicesPerClient      int
	AccessTokens          int // live access tokens (for /userinfo and revocation)
	// AccessTokensPerOwner caps each user's tokens and each client's
	// machine (client-credentials) tokens.
	AccessTokensPerOwner int
	// Families are refresh-token families (one per login). A user over
	// the cap loses their own oldest login, not the new one.
	Families        int
	FamiliesPerUser int
	// Sessions are browser sessions; past either cap the oldest is ended.
	Sessions        int
	SessionsPerUser int
	// Users caps the signed-up accounts (the demo users always exist);
	// SignupsPerMinute caps how fast they are made, for everyone together:
	// on loopback every caller has the same address.
	Users            int
	SignupsPerMinute int
}

// DefaultLimits are the caps used when Config.Limits is zero.
var DefaultLimits = Limits{
	AuthRequests: 10_000, AuthRequestsPerClient: 5_000,
	Devices: 10_000, DevicesPerClient: 5_000,
	AccessTokens: 100_000, AccessTokensPerOwner: 10_000,
	Families: 100_000, FamiliesPerUser: 1_000,
	Sessions: 10_000, SessionsPerUser: 100,
	Users: 1_000, SignupsPerMinute: 10,
}

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
	authRequests  *table[*AuthRequest]   // owner: client
	codes         map[string]string      // auth code -> auth request id
	accessTokens  *table[*accessToken]   // by jti; owner: user or machine client
	families      *table[*refreshFamily] // by family id; owner: user
	devices       *table[*deviceAuth]    // by device_code; owner: client
	userCodes     map[string]string      // normalised user_code -> device_code
	sessions      *table[*Session]       // owner: user
	grants        map[string]int
	reuseDetected int
	replays       int // previous refresh tokens answered within the reuse interval
	folds         eventlog.Limiter
	rotations     queue // families with a remembered response, by end of interval
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
	// Added later than the others: a Limits written before them means
	// the defaults, not "no sign-ups".
	if cfg.Limits.Users == 0 {
		cfg.Limits.Users = DefaultLimits.Users
	}
	if cfg.Limits.SignupsPerMinute == 0 {
		cfg.Limits.SignupsPerMinute = DefaultLimits.SignupsPerMinute
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
	users, err := loadUsers(persist, cfg.PasswordCost, cfg.Limits.Users, cfg.Now, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	s := &Store{
		cfg:       cfg,
		now:       cfg.Now,
		key:       key,
		users:     users,
		clients:   newClients(cfg.LoginURL, cfg.TokenTTL),
		log:       cfg.Logger,
		limits:    cfg.Limits,
		codes:     map[string]string{},
		userCodes: map[string]string{},
		grants:    newGrantCounts(),
	}
	l := cfg.Limits
	s.authRequests = newTable[*AuthRequest](AuthRequestTTL, l.AuthRequests, l.AuthRequestsPerClient)
	s.authRequests.used = func(ar *AuthRequest) bool { return ar.opened || ar.done }
	s.authRequests.onDrop = func(_ string, ar *AuthRequest) {
		if ar.code != "" {
			delete(s.codes, ar.code)
		}
	}
	s.accessTokens = newTable[*accessToken](cfg.TokenTTL, l.AccessTokens, l.AccessTokensPerOwner)
	// A revoked family stays until it would have expired: it is the
	// marker that makes a late reuse of any of its tokens recognisable.
	s.families = newTable[*refreshFamily](cfg.RefreshTokenTTL, l.Families, l.FamiliesPerUser)
	// Kept past expiry for as long again, so late polls get expired_token
	// rather than an unknown-code error.
	s.devices = newTable[*deviceAuth](2*cfg.DeviceCodeTTL, l.Devices, l.DevicesPerClient)
	s.devices.onDrop = func(_ string, d *deviceAuth) { delete(s.userCodes, normalizeUserCode(d.userCode)) }
	s.devices.used = func(d *deviceAuth) bool { return d.entered || d.done || d.denied }
	s.sessions = newTable[*Session](cfg.SessionTTL, l.Sessions, l.SessionsPerUser)
	if _, err := rand.Read(s.refreshKey[:]); err != nil {
		return nil, fmt.Errorf("refresh-token key: %w", err)
	}
	return s, nil
}

// Limits returns the caps in force.
func (s *Store) Limits() Limits { return s.limits }

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
	// Result, if set, receives what the HTTP side must add to the answer.
	Result *Result
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

// apiAudience is the aud claim of an access token: the API asked for, or
// the client itself when none was (such a token is good for /userinfo only).
func apiAudience(api, clientID string) []string {
	if api == "" {
		return []string{clientID}
	}
	return []string{api}
}

// tokenPhase makes one library request object answer GetAudience for the
// access token and the ID token differently. The library reads the same
// GetAudience for both aud claims, in this order: the storage's
// CreateAccessToken or CreateAccessAndRefreshTokens (which call forAccess),
// the access token's claims, GetPrivateClaimsFromRequest (which calls
// forIDToken), the ID token's claims. So the access token names the API and
// the ID token, as at Auth0, only the client: an ID token is no API
// credential. Tests check both claims, should the library change its order.
type tokenPhase struct{ access bool }

func (p *tokenPhase) forAccess()  { p.access = true }
func (p *tokenPhase) forIDToken() { p.access = false }

// audience is the aud claim for the current phase.
func (p *tokenPhase) audience(api []string, clientID string) []string {
	if p.access {
		return api
	}
	return []string{clientID}
}

// expireLocked drops what expired from every table: O(1) per expired
// entry. Callers hold s.mu.
func (s *Store) expireLocked(now time.Time) {
	s.authRequests.expire(now)
	s.authRequests.expireUnused(now, UnusedAuthRequestTTL)
	s.accessTokens.expire(now)
	s.families.expire(now)
	s.devices.expire(now)
	s.sessions.expire(now)
}

// Result is what the storage tells the HTTP side about a request beyond
// the library's answer. The provider puts one in the request's context
// (Request.Result) and reads it when the library writes its response.
type Result struct {
	// RetryAfter is set when a table share was full: the answer is
	// temporarily_unavailable, worth retrying after this long.
	RetryAfter time.Duration
	// Global tells a full table (everyone is refused) from a full share.
	Global bool
	// Subject is whom tokens were made for (a user, or a machine client's
	// "<id>@clients"), for the log line of a successful token response.
	Subject string

	// deviceClientID is the device grant's client while its request
	// names the API instead (see startAccessPhase).
	deviceClientID string
}

// busy refuses a request whose table share is full: temporarily_unavailable,
// with the delay recorded for the Retry-After header, and one log line.
func (s *Store) busy(ctx context.Context, table, ownerID string, f fullness, desc string) error {
	retry, global := max(f.retry, time.Second), f.global
	if skipped, ok := s.folds.Allow("busy "+table, s.now()); ok {
		s.log.Warn("refused: too many "+table, "owner", ownerID, "all_owners", global,
			"retry_after", retry.Round(time.Second).String(), "refused_since_last_line", skipped)
	}
	if r := requestFrom(ctx).Result; r != nil {
		r.RetryAfter, r.Global = retry, global
	}
	return ErrTemporarilyUnavailable(desc)
}

// noteEvicted logs, folded like refusals, that a full table made room:
// what it dropped, and for whom.
func (s *Store) noteEvicted(what, ownerID string, n int) {
	if skipped, ok := s.folds.Allow("evicted "+what, s.now()); ok {
		s.log.Warn("table full: dropped "+what+" to make room", "for", ownerID, "dropped", n, "dropped_since_last_line", skipped)
	}
}

// ---- clients ----

// GetClientByClientID answers invalid_client for an unknown id: a plain
// error would surface as server_error (500) on the refresh path.
func (s *Store) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client_id %s", QuoteParam(clientID))
	}
	return c, nil
}

// quoteParam quotes a request parameter for an error message: Go-quoted
// (control characters escaped) and cut to 80 bytes.
func QuoteParam(v string) string {
	if len(v) > 80 {
		v = v[:80] + "..."
	}
	return strconv.Quote(v)
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
	at, ok := s.accessTokens.get(tokenID)
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
	at, ok := s.accessTokens.get(tokenID)
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
func (s *Store) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	// The access token's aud has been read; the ID token's comes next.
	switch r := req.(type) {
	case *AuthRequest:
		r.phase.forIDToken()
	case *refreshTokenRequest:
		r.phase.forIDToken()
	case *op.DeviceAuthorizationState:
		// The library's type: its GetAudience appends the client id, so
		// an empty list makes the ID token name the client only.
		endDeviceAccessPhase(ctx, r)
		r.Audience = []string{}
	}
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
	s.expireLocked(s.now())
	st := Stats{Grants: make(map[string]int, len(s.grants)), RefreshReuseDetected: s.reuseDetected, RefreshReplayed: s.replays, Live: map[string]int{
		"auth_requests":    s.authRequests.size(),
		"access_tokens":    s.accessTokens.size(),
		"refresh_families": s.families.size(),
		"device_codes":     s.devices.size(),
		"sessions":         s.sessions.size(),
	}}
	for k, v := range s.grants {
		st.Grants[k] = v
	}
	return st
}

// Stats counts what the provider did. Tests use it to prove, for example,
// that several concurrent CLI processes caused exactly one refresh.
type Stats struct {
	// Grants counts successful token responses by grant_type.
	Grants map[string]int `json:"grants"`
	// RefreshReuseDetected counts presentations of an already rotated refresh
	// token (each revokes that token's family).
	RefreshReuseDetected int `json:"refresh_reuse_detected"`
	// RefreshReplayed counts previous refresh tokens answered, within the
	// reuse interval, with the response of their rotation (not a grant).
	RefreshReplayed int `json:"refresh_replayed"`
	// Live counts the entries of each in-memory table, expired ones
	// dropped: what memory holds.
	Live map[string]int `json:"live"`
}
