package idp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
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

// refreshToken is one link of a rotation chain. A family is every token
// descended from one login; only the newest is usable.
type refreshToken struct {
	token    string
	family   string
	clientID string
	subject  string
	scopes   []string // granted at login; a refresh may narrow one access token, not the grant
	audience []string
	authTime time.Time
	amr      []string
	expires  time.Time // of the whole family: rotation does not extend it
	rotated  bool      // superseded by a newer token
	revoked  bool
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
func (s *storage) grantLocked(req op.TokenRequest) (grant, error) {
	switch r := req.(type) {
	case *authRequest:
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
func (s *storage) addAccessTokenLocked(g grant, family string, now time.Time) (*accessToken, error) {
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

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.sweepLocked(now)
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
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, currentRefreshToken string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.sweepLocked(now)

	// The library looked the token up before, but a concurrent request
	// may have rotated it since: check again under the lock.
	var old *refreshToken
	if currentRefreshToken != "" {
		var err error
		if old, err = s.usableRefreshTokenLocked(currentRefreshToken, now); err != nil {
			return "", "", time.Time{}, err
		}
	}
	g, err := s.grantLocked(req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	var family string
	familyExpires := now.Add(s.cfg.RefreshTokenTTL)
	if old != nil {
		old.rotated = true
		family, familyExpires = old.family, old.expires
	} else if family, err = randomToken(); err != nil {
		return "", "", time.Time{}, err
	}
	token, err := randomToken()
	if err != nil {
		return "", "", time.Time{}, err
	}
	s.refreshTokens[token] = &refreshToken{
		token: token, family: family, clientID: g.clientID, subject: g.subject,
		scopes: slices.Clone(g.granted), audience: slices.Clone(g.audience),
		authTime: g.authTime, amr: slices.Clone(g.amr), expires: familyExpires,
	}
	at, err := s.addAccessTokenLocked(g, family, now)
	if err != nil {
		return "", "", time.Time{}, err
	}
	return at.id, token, at.expires, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, err := s.usableRefreshTokenLocked(token, time.Now())
	if err != nil {
		return nil, err
	}
	return &refreshTokenRequest{
		token: rt.token, clientID: rt.clientID, subject: rt.subject,
		granted: slices.Clone(rt.scopes), current: slices.Clone(rt.scopes),
		audience: slices.Clone(rt.audience), authTime: rt.authTime, amr: slices.Clone(rt.amr),
	}, nil
}

// usableRefreshTokenLocked returns the token if it is the live head of its
// family. Presenting a rotated token is a reuse: it revokes the family and
// is counted. Callers hold s.mu.
func (s *storage) usableRefreshTokenLocked(token string, now time.Time) (*refreshToken, error) {
	rt, ok := s.refreshTokens[token]
	switch {
	case !ok:
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown refresh token")
	case rt.rotated:
		// Checked before revoked: every presentation of a superseded token
		// is a reuse, also after an earlier one revoked the family.
		s.reuseDetected++
		s.revokeFamilyLocked(rt.family)
		s.log.Warn("refresh token reuse detected; family revoked", "client", rt.clientID, "sub", rt.subject)
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token already used; all tokens of this login are revoked")
	case rt.revoked:
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token revoked")
	case now.After(rt.expires):
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token expired")
	}
	return rt, nil
}

// revokeFamilyLocked revokes every refresh token of a family and the access
// tokens minted with them. Callers hold s.mu.
func (s *storage) revokeFamilyLocked(family string) {
	for _, rt := range s.refreshTokens {
		if rt.family == family {
			rt.revoked = true
		}
	}
	for id, at := range s.accessTokens {
		if at.family == family {
			delete(s.accessTokens, id)
		}
	}
}

// GetRefreshTokenInfo lets the revocation endpoint recognise our opaque
// refresh tokens; the token itself serves as its id.
func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refreshTokens[token]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.subject, rt.token, nil
}

// RevokeToken implements RFC 7009: a refresh token takes its family with
// it; an access token (by jti) goes alone; an unknown token is not an error.
func (s *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refreshTokens[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		s.revokeFamilyLocked(rt.family)
		return nil
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
func (s *storage) TerminateSession(_ context.Context, userID, _ string) error {
	if userID != "" {
		s.endUserSessions(userID)
	}
	return nil
}

// TerminateSessionFromRequest is preferred by the library over
// TerminateSession; it also lets us keep the validated redirect.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
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
