// Package claims reads the claims of a JWT that was verified earlier (at
// login, before it was cached) or whose signature is not ours to check (an
// access token is for the API). It never decides whether to trust a token.
package claims

import (
	"fmt"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// anyAlg lets us read tokens whatever they are signed with; reading is not
// trusting, and trust is decided elsewhere.
var anyAlg = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512,
}

// Unverified returns the claims of a compact JWS without checking its signature.
func Unverified(raw string) (map[string]any, error) {
	tok, err := jwt.ParseSigned(raw, anyAlg)
	if err != nil {
		return nil, fmt.Errorf("parse token: %w", err)
	}
	out := map[string]any{}
	if err := tok.UnsafeClaimsWithoutVerification(&out); err != nil {
		return nil, fmt.Errorf("read token claims: %w", err)
	}
	return out, nil
}

// Strings returns a claim that is a string or a list of strings as a list.
func Strings(c map[string]any, name string) []string {
	switch v := c[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// String returns a string claim, or "".
func String(c map[string]any, name string) string {
	s, _ := c[name].(string)
	return s
}
