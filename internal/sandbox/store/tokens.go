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
	family   string // refresh-token family, if any
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
}

func (r *refreshTokenRequest) GetAMR() []string            { return r.amr }
func (r *refreshTokenRequest) GetAudience() []string       { return r.audience }
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

// grantLocked turns a library token request into a grant. An authorization
// code is claimed here, under the lock, so two concurrent exchanges of one
// code cannot both succeed. Callers hold s.mu.
func (s *Store) grantLocked(req op.TokenRequest) (grant, error) {
	switch r := req.(type) {
	case *AuthRequest:
		ar, ok := s.authRequests[r.id]
		if !ok || ar.exchanged || !ar.done {
			return grant{}, oidc.ErrInvalidGrant().WithDescription("authorization code already used or expired")
		}
		ar.exchanged = true
		return grant{clientID: r.clientID, subject: r.subject, scopes: r.scopes, granted: r.scopes,
			audience: r.GetAudience(), authTime: r.authTime, amr: r.GetAMR()}, nil
	case *refreshTokenRequest:
		return grant{clientID: r.clientID, subject: r.subject, scopes: r.current, granted: r.granted,
			audience: r.audience, authTime: r.authTime, amr: r.amr}, nil
	case *op.DeviceAuthorizationState:
		return grant{clientID: r.ClientID, subject: r.Subject, scopes: r.Scopes, granted: r.Scopes,
			audience: r.GetAudience(), authTime: r.AuthTime, amr: r.AMR}, nil
	case *clientCredentialsRequest:
		return grant{clientID: r.clientID, subject: r.GetSubject(), scopes: r.scopes, audience: r.audience}, nil
	default:
		return grant{}, oidc.ErrUnsupportedGrantType().WithDescription("grant not supported by the sandbox")
	}
}

// addAccessTokenLocked records a new access token. Callers hold s.mu.
func (s *Store) addAccessTokenLocked(g grant, family string, now time.Time) (*accessToken, error) {
	if len(s.accessTokens) >= s.limits.AccessTokens {
		// Client credentials with the published hello-ci secret could
		// otherwise fill memory until the tokens expire.
		s.sweepLocked(now, true)
		if len(s.accessTokens) >= s.limits.AccessTokens {
			s.log.Warn("too many live access tokens; refusing", "limit", s.limits.AccessTokens)
			return nil, ErrTemporarilyUnavailable("too many live access tokens; try again later")
		}
	}
	id, err := randomToken()
	if err != nil {
		return nil, err
	}
	at := &accessToken{
		id: id, clientID: g.clientID, subject: g.subject, scopes: slices.Clone(g.scopes),
		audience: slices.Clone(g.audience), family: family, expires: now.Add(s.cfg.TokenTTL),
	}
	s.accessTokens[id] = at
	return at, nil
}

func (s *Store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now, false)
	g, err := s.grantLocked(req)
	if err != nil {
		return "", time.Time{}, err
	}
	at, err := s.addAccessTokenLocked(g, "", now)
	if err != nil {
		return "", time.Time{}, err
	}
	return at.id, at.expires, nil
}

// CreateAccessAndRefreshTokens issues a new refresh token with every access
// token. With currentRefreshToken set this is a rotation: the presented
// token must still be the newest of its family, otherwise it is a reuse and
// the family is revoked (as Auth0 does).
func (s *Store) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now, false)

	// The library looked the token up before, but a concurrent request
	// may have rotated it since: check again under the lock.
	var fam *refreshFamily
	if currentRefreshToken != "" {
		var err error
		if fam, err = s.usableRefreshTokenLocked(currentRefreshToken, now); err != nil {
			return "", "", time.Time{}, err
		}
	}
	g, err := s.grantLocked(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if fam != nil {
		fam.gen++ // every older token of the family is now a reuse
	} else if fam, err = s.newFamilyLocked(g, now); err != nil {
		return "", "", time.Time{}, err
	}
	token, err := s.refreshTokenValue(fam.id, fam.gen)
	if err != nil {
		return "", "", time.Time{}, err
	}
	at, err := s.addAccessTokenLocked(g, fam.id, now)
	if err != nil {
		return "", "", time.Time{}, err
	}
	return at.id, token, at.expires, nil
}

// newFamilyLocked starts a refresh-token family for a new login. When the
// table is full even after dropping expired families, the one that expires
// first (the oldest login) is evicted: its client will have to log in again.
// Callers hold s.mu.
func (s *Store) newFamilyLocked(g grant, now time.Time) (*refreshFamily, error) {
	raw := make([]byte, familyIDBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	if len(s.families) >= s.limits.Families {
		s.sweepLocked(now, true)
	}
	if len(s.families) >= s.limits.Families {
		s.log.Warn("too many refresh-token families; evicting the oldest", "limit", s.limits.Families)
		s.dropFamilyLocked(soonestExpiring(s.families, func(f *refreshFamily) time.Time { return f.expires }))
	}
	fam := &refreshFamily{
		id: base64.RawURLEncoding.EncodeToString(raw), clientID: g.clientID, subject: g.subject,
		scopes: slices.Clone(g.granted), audience: slices.Clone(g.audience),
		authTime: g.authTime, amr: slices.Clone(g.amr), expires: now.Add(s.cfg.RefreshTokenTTL),
	}
	s.families[fam.id] = fam
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
		fam, ok = s.families[id]
	}
	switch {
	case !ok || gen > fam.gen:
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown refresh token")
	case gen < fam.gen:
		// Checked before revoked: every presentation of a superseded token
		// is a reuse, also after an earlier one revoked the family.
		s.reuseDetected++
		s.revokeFamilyLocked(fam.id)
		s.log.Warn("refresh token reuse detected; family revoked", "client", fam.clientID, "sub", fam.subject)
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token already used; all tokens of this login are revoked")
	case fam.revoked:
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token revoked")
	case now.After(fam.expires):
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token expired")
	}
	return fam, nil
}

// revokeFamilyLocked revokes a refresh-token family and the access tokens
// minted with it. The family record stays, as a marker, until it expires.
// Callers hold s.mu.
func (s *Store) revokeFamilyLocked(family string) {
	if fam, ok := s.families[family]; ok {
		fam.revoked = true
	}
	s.dropAccessTokensLocked(family)
}

// dropFamilyLocked forgets a family and its access tokens. Callers hold s.mu.
func (s *Store) dropFamilyLocked(family string) {
	delete(s.families, family)
	s.dropAccessTokensLocked(family)
}

func (s *Store) dropAccessTokensLocked(family string) {
	for id, at := range s.accessTokens {
		if at.family == family {
			delete(s.accessTokens, id)
		}
	}
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
	fam, ok := s.families[id]
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
		if fam, ok := s.families[id]; ok {
			if fam.clientID != clientID {
				return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
			}
			s.revokeFamilyLocked(fam.id)
			return nil
		}
	}
	if at, ok := s.accessTokens[tokenOrID]; ok {
		if at.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.accessTokens, tokenOrID)
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
