package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessToken records an issued access token (a JWT) by its jti, so that
// /userinfo and revocation can tell live tokens from revoked ones.
type accessToken struct {
	id       string
	clientID string
	subject  string
	scopes   []string
	audience []string
	expires  time.Time
}

// refreshFamily is a refresh-token rotation chain: every token descended
// from one login. Only the newest token (generation gen) is usable. Tokens
// carry their family id and generation under a MAC (refreshTokenValue), so
// an older token of the family is recognised as a reuse without storing
// any of the superseded tokens: memory per login stays constant however
// often it is refreshed.
type refreshFamily struct {
	id       string
	gen      uint64 // generation of the only usable token
	clientID string
	subject  string
	scopes   []string // granted at login; a refresh may narrow one access token, not the grant
	audience []string
	authTime time.Time
	amr      []string
	expires  time.Time // of the whole family: rotation does not extend it
	revoked  bool
	rotated  time.Time // of the last rotation
	tokens   []string  // jti of the family's access tokens, some maybe expired

	// With a reuse interval: the token response of the last rotation, to
	// answer the previous token with once more within the interval.
	lastResponse []byte
	replayed     bool // the previous token has had its second use
}

// Refresh-token layout, base64url-encoded: family id, generation (big
// endian), HMAC-SHA256 of both under storage.refreshKey.
const (
	familyIDBytes   = 24
	refreshMACBytes = sha256.Size
	refreshRawBytes = familyIDBytes + 8 + refreshMACBytes
)

// refreshTokenValue returns the token of generation gen of a family.
func (s *Store) refreshTokenValue(family string, gen uint64) (string, error) {
	id, err := base64.RawURLEncoding.DecodeString(family)
	if err != nil || len(id) != familyIDBytes {
		return "", fmt.Errorf("bad refresh-token family id %q", family)
	}
	raw := binary.BigEndian.AppendUint64(id, gen)
	raw = append(raw, s.refreshMAC(raw)...)
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// parseRefreshToken returns the family and generation a token names, if its
// MAC is ours: without the key nobody can forge an old generation to get
// someone's family revoked.
func (s *Store) parseRefreshToken(token string) (family string, gen uint64, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != refreshRawBytes {
		return "", 0, false
	}
	body, mac := raw[:familyIDBytes+8], raw[familyIDBytes+8:]
	if !hmac.Equal(mac, s.refreshMAC(body)) {
		return "", 0, false
	}
	return base64.RawURLEncoding.EncodeToString(body[:familyIDBytes]), binary.BigEndian.Uint64(body[familyIDBytes:]), true
}

func (s *Store) refreshMAC(body []byte) []byte {
	m := hmac.New(sha256.New, s.refreshKey[:])
	m.Write([]byte("refresh-token:"))
	m.Write(body)
	return m.Sum(nil)
}

// refreshTokenRequest is what the library carries from
// TokenRequestByRefreshToken to CreateAccessAndRefreshTokens
// (op.RefreshTokenRequest).
type refreshTokenRequest struct {
	token    string
	clientID string
	subject  string
	granted  []string
	current  []string
	audience []string
	authTime time.Time
	amr      []string
	phase    tokenPhase
}

func (r *refreshTokenRequest) GetAMR() []string            { return r.amr }
func (r *refreshTokenRequest) GetAudience() []string       { return r.phase.audience(r.audience, r.clientID) }
func (r *refreshTokenRequest) GetAuthTime() time.Time      { return r.authTime }
func (r *refreshTokenRequest) GetClientID() string         { return r.clientID }
func (r *refreshTokenRequest) GetScopes() []string         { return r.current }
func (r *refreshTokenRequest) GetSubject() string          { return r.subject }
func (r *refreshTokenRequest) SetCurrentScopes(s []string) { r.current = s }

// grant is what every token request boils down to.
type grant struct {
	clientID string
	subject  string
	scopes   []string // of this access token
	granted  []string // carried by the refresh token
	audience []string
	authTime time.Time
	amr      []string
}

// grantOf turns a library token request into a grant, without side effects.
func grantOf(req op.TokenRequest) (grant, error) {
	switch r := req.(type) {
	case *AuthRequest:
		return grant{clientID: r.clientID, subject: r.subject, scopes: r.scopes, granted: r.scopes,
			audience: r.apiAudience(), authTime: r.authTime, amr: r.GetAMR()}, nil
	case *refreshTokenRequest:
		return grant{clientID: r.clientID, subject: r.subject, scopes: r.current, granted: r.granted,
			audience: r.audience, authTime: r.authTime, amr: r.amr}, nil
	case *op.DeviceAuthorizationState:
		// Read before startAccessPhase changes r.ClientID; the API alone,
		// as the token's aud (the library's GetAudience would add the client).
		return grant{clientID: r.ClientID, subject: r.Subject, scopes: r.Scopes, granted: r.Scopes,
			audience: apiAudience(firstOr(r.Audience, ""), r.ClientID), authTime: r.AuthTime, amr: r.AMR}, nil
	case *clientCredentialsRequest:
		return grant{clientID: r.clientID, subject: r.GetSubject(), scopes: r.scopes, audience: r.audience}, nil
	default:
		return grant{}, oidc.ErrUnsupportedGrantType().WithDescription("grant not supported by the sandbox")
	}
}

// noteSubject tells the HTTP side whom the tokens are for.
func noteSubject(ctx context.Context, subject string) {
	if r := requestFrom(ctx).Result; r != nil {
		r.Subject = subject
	}
}

// startAccessPhase makes req name the API in aud until the access token is
// made (see tokenPhase).
//
// The device grant's request is the library's type, whose GetAudience
// always appends its ClientID. For the access token, its ClientID is set
// to the API, so that aud is the API alone; GetPrivateClaimsFromRequest,
// which the library calls next, before it reads the client id, restores
// the client's (kept in ctx's Result).
func startAccessPhase(ctx context.Context, req op.TokenRequest) {
	switch r := req.(type) {
	case *AuthRequest:
		r.phase.forAccess()
	case *refreshTokenRequest:
		r.phase.forAccess()
	case *op.DeviceAuthorizationState:
		res := requestFrom(ctx).Result
		api := slices.DeleteFunc(slices.Clone(r.Audience), func(a string) bool { return a == r.ClientID })
		if res == nil || len(api) == 0 {
			return // no API asked for: aud is the client, as for the other grants
		}
		res.deviceClientID = r.ClientID
		r.Audience, r.ClientID = api[:1], api[0]
	}
}

// endDeviceAccessPhase undoes startAccessPhase's change of a device
// request's ClientID.
func endDeviceAccessPhase(ctx context.Context, r *op.DeviceAuthorizationState) {
	if res := requestFrom(ctx).Result; res != nil && res.deviceClientID != "" {
		r.ClientID = res.deviceClientID
		res.deviceClientID = ""
	}
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

// claimCodeLocked spends the authorization code of a code exchange, under
// the lock, so two concurrent exchanges of one code cannot both succeed.
// Other grants have nothing to claim. Callers hold s.mu.
func (s *Store) claimCodeLocked(req op.TokenRequest) error {
	r, ok := req.(*AuthRequest)
	if !ok {
		return nil
	}
	ar, ok := s.authRequests.get(r.id)
	if !ok || ar.exchanged || !ar.done {
		return oidc.ErrInvalidGrant().WithDescription("authorization code already used or expired")
	}
	ar.exchanged = true
	return nil
}

// roomForTokenLocked refuses, before anything is spent or rotated, a grant
// whose owner (the user, or the machine client) has used up its share of
// live access tokens. Client credentials with the published hello-ci secret
// could otherwise fill the table for everyone. Callers hold s.mu.
//
// When the whole table is full, the biggest holder's oldest token is
// forgotten for anyone who holds fewer (see table.biggestOldest): it stays
// a valid JWT for the API but no longer works at /userinfo. So per-owner
// shares, however many users sign up, cannot add up to refusing everyone.
func (s *Store) roomForTokenLocked(ctx context.Context, g grant, now time.Time) error {
	f := s.accessTokens.full(g.subject, now)
	if f.full && f.global {
		if victim, ok := s.accessTokens.biggestOldest(g.subject); ok {
			s.noteEvicted("the oldest live access token of the biggest holder", g.subject, 1)
			s.accessTokens.delete(victim)
			return nil
		}
	}
	if f.full {
		return s.busy(ctx, "live access tokens", g.subject, f, "too many live access tokens for this client or user; try again later")
	}
	return nil
}

// addAccessTokenLocked records a new access token; roomForTokenLocked said
// there is room. Callers hold s.mu.
func (s *Store) addAccessTokenLocked(g grant, fam *refreshFamily, now time.Time) (*accessToken, error) {
	id, err := randomToken()
	if err != nil {
		return nil, err
	}
	at := &accessToken{
		id: id, clientID: g.clientID, subject: g.subject, scopes: slices.Clone(g.scopes),
		audience: slices.Clone(g.audience), expires: now.Add(s.cfg.TokenTTL),
	}
	s.accessTokens.add(id, g.subject, at, now)
	if fam != nil {
		// Remember the family's tokens so revoking it is O(its tokens).
		// They expire in the order they were made: forget the expired
		// ones from the front, O(1) per token.
		i := 0
		for i < len(fam.tokens) {
			if _, live := s.accessTokens.get(fam.tokens[i]); live {
				break
			}
			i++
		}
		fam.tokens = append(fam.tokens[i:], id)
	}
	return at, nil
}

func (s *Store) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	g, err := grantOf(req)
	if err != nil {
		return "", time.Time{}, err
	}
	startAccessPhase(ctx, req)
	if err := s.roomForTokenLocked(ctx, g, now); err != nil {
		return "", time.Time{}, err
	}
	if err := s.claimCodeLocked(req); err != nil {
		return "", time.Time{}, err
	}
	at, err := s.addAccessTokenLocked(g, nil, now)
	if err != nil {
		return "", time.Time{}, err
	}
	noteSubject(ctx, g.subject)
	return at.id, at.expires, nil
}

// CreateAccessAndRefreshTokens issues a new refresh token with every access
// token. With currentRefreshToken set this is a rotation: the presented
// token must still be the newest of its family, otherwise it is a reuse and
// the family is revoked (as Auth0 does). A refusal for lack of room comes
// before anything is spent: the code or the refresh token still works.
func (s *Store) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()

	// The library looked the token up before, but a concurrent request
	// may have rotated it since: check again under the lock.
	var fam *refreshFamily
	if currentRefreshToken != "" {
		var err error
		if fam, err = s.usableRefreshTokenLocked(currentRefreshToken, now); err != nil {
			return "", "", time.Time{}, err
		}
	}
	g, err := grantOf(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	startAccessPhase(ctx, req)
	if err := s.roomForTokenLocked(ctx, g, now); err != nil {
		return "", "", time.Time{}, err
	}
	if fam == nil {
		if err := s.roomForFamilyLocked(ctx, g, now); err != nil {
			return "", "", time.Time{}, err
		}
	}
	if err := s.claimCodeLocked(req); err != nil {
		return "", "", time.Time{}, err
	}
	if fam != nil {
		fam.gen++ // every older token of the family is now a reuse
		fam.rotated = now
	} else if fam, err = s.newFamilyLocked(g, now); err != nil {
		return "", "", time.Time{}, err
	}
	token, err := s.refreshTokenValue(fam.id, fam.gen)
	if err != nil {
		return "", "", time.Time{}, err
	}
	at, err := s.addAccessTokenLocked(g, fam, now)
	if err != nil {
		return "", "", time.Time{}, err
	}
	noteSubject(ctx, g.subject)
	return at.id, token, at.expires, nil
}

// roomForFamilyLocked makes room for a new login's refresh-token family. A
// user over their share loses their own oldest login (its client will have
// to log in again), not the new one; a full table refuses. Callers hold s.mu.
func (s *Store) roomForFamilyLocked(ctx context.Context, g grant, now time.Time) error {
	f := s.families.full(g.subject, now)
	if f.full && f.global {
		// As for access tokens: the biggest holder loses its oldest login
		// to anyone holding fewer.
		if victim, ok := s.families.biggestOldest(g.subject); ok {
			s.noteEvicted("the oldest login of the biggest holder", g.subject, 1)
			s.dropFamilyLocked(victim)
			return nil
		}
	}
	switch {
	case !f.full:
		return nil
	case f.global:
		return s.busy(ctx, "refresh-token families", g.subject, f, "too many logins with refresh tokens; try again later")
	}
	oldest, _ := s.families.oldestOf(g.subject)
	s.log.Warn("too many refresh-token families for one user; ending their oldest login", "user", g.subject)
	s.dropFamilyLocked(oldest)
	return nil
}

// newFamilyLocked starts a refresh-token family for a new login;
// roomForFamilyLocked made room. Callers hold s.mu.
func (s *Store) newFamilyLocked(g grant, now time.Time) (*refreshFamily, error) {
	raw := make([]byte, familyIDBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	fam := &refreshFamily{
		id: base64.RawURLEncoding.EncodeToString(raw), clientID: g.clientID, subject: g.subject,
		scopes: slices.Clone(g.granted), audience: slices.Clone(g.audience),
		authTime: g.authTime, amr: slices.Clone(g.amr), expires: now.Add(s.cfg.RefreshTokenTTL),
	}
	s.families.add(fam.id, g.subject, fam, now)
	return fam, nil
}

func (s *Store) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fam, err := s.usableRefreshTokenLocked(token, s.now())
	if err != nil {
		return nil, err
	}
	return &refreshTokenRequest{
		token: token, clientID: fam.clientID, subject: fam.subject,
		granted: slices.Clone(fam.scopes), current: slices.Clone(fam.scopes),
		audience: slices.Clone(fam.audience), authTime: fam.authTime, amr: slices.Clone(fam.amr),
	}, nil
}

// usableRefreshTokenLocked returns the token's family if the token is its
// live head. Presenting a superseded token is a reuse: it revokes the
// family and is counted. Callers hold s.mu.
func (s *Store) usableRefreshTokenLocked(token string, now time.Time) (*refreshFamily, error) {
	id, gen, ok := s.parseRefreshToken(token)
	var fam *refreshFamily
	if ok {
		fam, ok = s.families.get(id)
	}
	switch {
	case !ok || gen > fam.gen:
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown refresh token")
	case gen+1 == fam.gen && !fam.revoked && !fam.replayed && s.withinReuseInterval(fam, now):
		// The previous token inside the reuse interval is no reuse, but
		// the provider answers it (see ReplayRotation) only once the
		// rotation's response is recorded; until then, ask to retry.
		return nil, ErrTemporarilyUnavailable("this refresh token was just rotated; try again in a second")
	case gen < fam.gen:
		// Checked before revoked: every presentation of a superseded token
		// is a reuse, also after an earlier one revoked the family.
		s.reuseDetected++
		s.revokeFamilyLocked(fam.id)
		s.log.Warn("refresh token reuse detected; all tokens of that login revoked", "client", fam.clientID, "user", fam.subject)
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token already used; all tokens of this login are revoked")
	case fam.revoked:
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token revoked")
	case now.After(fam.expires):
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token expired")
	}
	return fam, nil
}

// withinReuseInterval reports whether the family's last rotation is recent
// enough for the previous token to work once more.
func (s *Store) withinReuseInterval(fam *refreshFamily, now time.Time) bool {
	return s.cfg.RefreshReuseInterval > 0 && !fam.rotated.IsZero() && !now.After(fam.rotated.Add(s.cfg.RefreshReuseInterval))
}

// RememberRotation records the token response that carried newToken, the
// result of a rotation, so that within the reuse interval the previous
// token gets the very same answer (ReplayRotation). Without a reuse
// interval it does nothing.
func (s *Store) RememberRotation(newToken string, response []byte) {
	if s.cfg.RefreshReuseInterval <= 0 {
		return
	}
	id, gen, ok := s.parseRefreshToken(newToken)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Forget the responses whose interval is over: memory holds only the
	// rotations of the last interval.
	for s.rotations.len() > 0 && now.After(s.rotations.front().expires) {
		if f, ok := s.families.get(s.rotations.front().key); ok && !s.withinReuseInterval(f, now) {
			f.lastResponse = nil
		}
		s.rotations.pop()
	}
	if fam, ok := s.families.get(id); ok && fam.gen == gen && !fam.revoked {
		fam.lastResponse = slices.Clone(response)
		fam.replayed = false
		s.rotations.push(id, now.Add(s.cfg.RefreshReuseInterval))
	}
}

// ReplayRotation answers the previous refresh token of a family presented
// again within the reuse interval: the first time, with the response of
// the rotation it caused (the same new tokens), so that a response lost on
// the way (a killed process, a dropped connection) does not log the user
// out. It reports false when this is not such a case; the request then
// goes its normal way, where a second replay is a reuse.
func (s *Store) ReplayRotation(token, clientID string) ([]byte, bool) {
	if s.cfg.RefreshReuseInterval <= 0 {
		return nil, false
	}
	id, gen, ok := s.parseRefreshToken(token)
	if !ok {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	fam, ok := s.families.get(id)
	if !ok || gen+1 != fam.gen || fam.revoked || fam.replayed || fam.clientID != clientID ||
		fam.lastResponse == nil || now.After(fam.expires) || !s.withinReuseInterval(fam, now) {
		return nil, false
	}
	fam.replayed = true
	body := fam.lastResponse
	fam.lastResponse = nil
	s.replays++
	return body, true
}

// revokeFamilyLocked revokes a refresh-token family and the access tokens
// minted with it. The family record stays, as a marker, until it expires.
// Callers hold s.mu.
func (s *Store) revokeFamilyLocked(family string) {
	if fam, ok := s.families.get(family); ok {
		fam.revoked = true
		fam.lastResponse = nil
		s.dropAccessTokensLocked(fam)
	}
}

// dropFamilyLocked forgets a family and its access tokens. Callers hold s.mu.
func (s *Store) dropFamilyLocked(family string) {
	if fam, ok := s.families.get(family); ok {
		s.dropAccessTokensLocked(fam)
	}
	s.families.delete(family)
}

func (s *Store) dropAccessTokensLocked(fam *refreshFamily) {
	for _, id := range fam.tokens {
		s.accessTokens.delete(id)
	}
	fam.tokens = nil
}

// GetRefreshTokenInfo lets the revocation endpoint recognise our opaque
// refresh tokens; the token itself serves as its id.
func (s *Store) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _, ok := s.parseRefreshToken(token)
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	fam, ok := s.families.get(id)
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return fam.subject, token, nil
}

// RevokeToken implements RFC 7009: a refresh token (the newest or an older
// one) takes its family with it; an access token (by jti) goes alone; an
// unknown token is not an error.
func (s *Store) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, _, ok := s.parseRefreshToken(tokenOrID); ok {
		if fam, ok := s.families.get(id); ok {
			if fam.clientID != clientID {
				return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
			}
			s.revokeFamilyLocked(fam.id)
			s.log.Info("refresh token revoked", "client", clientID, "user", fam.subject)
			return nil
		}
	}
	if at, ok := s.accessTokens.get(tokenOrID); ok {
		if at.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		s.accessTokens.delete(tokenOrID)
	}
	return nil
}

// TerminateSession ends the user's browser sessions (RP-initiated logout).
func (s *Store) TerminateSession(_ context.Context, userID, _ string) error {
	if userID != "" {
		s.EndUserSessions(userID)
	}
	return nil
}

// TerminateSessionFromRequest is preferred by the library over
// TerminateSession; it also lets us keep the validated redirect.
func (s *Store) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	if err := s.TerminateSession(ctx, req.UserID, req.ClientID); err != nil {
		return "", err
	}
	s.log.Info("user logged out", "user", req.UserID, "client", req.ClientID)
	return req.RedirectURI, nil
}

// randomToken returns 256 random bits, base64url-encoded: ids, opaque tokens.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
