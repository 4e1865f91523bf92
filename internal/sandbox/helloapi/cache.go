package helloapi

import (
	"crypto/rsa"
	"strings"
	"sync"
	"time"
)

// Why a cache: an RSA-2048 signature check costs more than serving a whole
// public request over loopback HTTP, and a client sends the same access
// token for its whole lifetime. Remembering the tokens already verified
// (keyed by their exact bytes, signature included) gives the same answer as
// verifying again, provided that on every hit
//   - the key that verified the token is still the one published under its
//     kid (a key withdrawn from the JWKS stops its tokens at the next
//     re-fetch, as without the cache), and
//   - exp, nbf and iat are checked against the current time.
// iss and aud do not change for a Server, so they need no second look.
// Only valid tokens are remembered: garbage cannot fill the cache.

const (
	// cacheGenEntries and cacheGenBytes bound one generation; two are kept,
	// so the cache holds at most twice as much.
	cacheGenEntries = 4096
	cacheGenBytes   = 4 << 20
)

// verified is what the cache keeps of a token that passed every check.
type verified struct {
	kid       string
	key       *rsa.PublicKey // the key that verified the signature
	notBefore time.Time      // zero when absent
	expiry    time.Time
	issuedAt  time.Time // zero when absent
	admin     bool      // has the admin permission
}

// tokenCache is a bounded map from token to verified with a cheap eviction
// scheme: entries go to the current generation; when it is full it becomes
// the previous one and the old previous is dropped, so tokens still in use
// survive (they are copied forward on their next hit) and stale ones age out
// without per-entry bookkeeping.
type tokenCache struct {
	mu        sync.RWMutex
	cur, prev map[string]*verified
	curBytes  int
}

func (c *tokenCache) get(token string) *verified {
	c.mu.RLock()
	v, ok := c.cur[token]
	if !ok {
		v = c.prev[token]
	}
	c.mu.RUnlock()
	if !ok && v != nil {
		c.put(token, v)
	}
	return v
}

func (c *tokenCache) put(token string, v *verified) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[token]; ok {
		return
	}
	if c.cur == nil || len(c.cur) >= cacheGenEntries || c.curBytes+len(token) > cacheGenBytes {
		c.prev = c.cur
		c.cur = make(map[string]*verified)
		c.curBytes = 0
	}
	// The token is a slice of the request's header; keep a copy of its own
	// rather than the request's memory.
	c.cur[strings.Clone(token)] = v
	c.curBytes += len(token)
}

// timely reports whether the token's times hold now, with the same
// comparisons as go-jose's jwt.Claims.ValidateWithLeeway.
func (s *Server) timely(v *verified) bool {
	now := s.now()
	if !v.notBefore.IsZero() && now.Add(s.leeway).Before(v.notBefore) {
		return false
	}
	if now.Add(-s.leeway).After(v.expiry) {
		return false
	}
	if !v.issuedAt.IsZero() && now.Add(s.leeway).Before(v.issuedAt) {
		return false
	}
	return true
}
