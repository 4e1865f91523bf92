package helloapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// errBadToken marks every reason to answer 401 "Bad credentials"; any other
// error from verify is a server fault.
var errBadToken = errors.New("invalid token")

// maxTokenBytes bounds the work a single request can ask for. Auth0 access
// tokens with many permissions stay well under it.
const maxTokenBytes = 32 << 10

// onlyRS256 is the one algorithm accepted. Naming it up front is what
// defeats "alg":"none" and the HS256-signed-with-the-public-key confusion:
// go-jose refuses any other alg before looking at a key.
var onlyRS256 = []jose.SignatureAlgorithm{jose.RS256}

// accessClaims are the claims the API checks. jwt.Claims brings the
// registered ones with go-jose's handling of "aud" as string or array.
type accessClaims struct {
	jwt.Claims
	Permissions []string `json:"permissions"`
	// ID tokens carry these and access tokens never do; providers (the
	// sandbox among them) may give an ID token the API's audience too.
	AtHash string `json:"at_hash"`
	Nonce  string `json:"nonce"`
}

// errExpired is a remembered token whose time is up.
var errExpired = fmt.Errorf("%w: expired or not yet valid", errBadToken)

// verify checks the token's signature against the provider's key named by
// its kid, then iss, aud, exp, nbf and iat. Tokens seen before are answered
// from the cache (see cache.go for why that is equivalent).
func (s *Server) verify(ctx context.Context, token string) (*verified, error) {
	if v := s.cache.get(token); v != nil {
		if ks := s.keys.Load(); ks != nil && ks.keys[v.kid] == v.key {
			if !s.timely(v) {
				return nil, errExpired
			}
			return v, nil
		}
		// The key that signed it has been withdrawn: verify afresh, which
		// re-fetches the JWKS (rate-limited) or rejects the token.
	}
	v, err := s.verifyToken(ctx, token)
	if err != nil {
		return nil, err
	}
	s.cache.put(token, v)
	return v, nil
}

// verifyToken does the full check of a token, without the cache.
func (s *Server) verifyToken(ctx context.Context, token string) (*verified, error) {
	if len(token) > maxTokenBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", errBadToken, maxTokenBytes)
	}
	jws, err := jose.ParseSignedCompact(token, onlyRS256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	// Compact serialisation has exactly one signature.
	kid := jws.Signatures[0].Header.KeyID
	if kid == "" {
		// Without a kid we would have to try every key; providers always
		// send one, so a token without it is not theirs.
		return nil, fmt.Errorf("%w: no kid", errBadToken)
	}
	key, err := s.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errBadToken, err)
	}
	if c.AtHash != "" || c.Nonce != "" {
		return nil, fmt.Errorf("%w: an ID token, not an access token", errBadToken)
	}
	// go-jose skips exp when it is absent; a token that never expires is
	// not one we accept.
	if c.Expiry == nil {
		return nil, fmt.Errorf("%w: no exp", errBadToken)
	}
	err = c.ValidateWithLeeway(jwt.Expected{
		Issuer:      s.issuer,
		AnyAudience: s.audience,
		Time:        s.now(),
	}, s.leeway)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadToken, err)
	}
	v := &verified{
		kid:    kid,
		key:    key,
		expiry: c.Expiry.Time(),
		admin:  slices.Contains(c.Permissions, adminPermission),
	}
	if c.NotBefore != nil {
		v.notBefore = c.NotBefore.Time()
	}
	if c.IssuedAt != nil {
		v.issuedAt = c.IssuedAt.Time()
	}
	return v, nil
}
