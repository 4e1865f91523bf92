package helloapi

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	// refetchInterval is how long unknown kids wait after a re-fetch before
	// they may cause another. Key rotation needs only one re-fetch; garbage
	// kids must not turn the API into a way to hammer the provider.
	refetchInterval = 10 * time.Second
	// maxDocumentBytes caps discovery and JWKS bodies; real ones are a few KiB.
	maxDocumentBytes = 1 << 20
	// minRSABits refuses keys too short to trust.
	minRSABits = 2048
)

// keySet is an immutable snapshot of the provider's RS256 signing keys by kid.
type keySet struct {
	keys map[string]*rsa.PublicKey
}

// fetchCall is one discovery+JWKS fetch that any number of requests wait on.
type fetchCall struct {
	done chan struct{}
	err  error // written before done is closed
}

// errUnknownKey is a token whose kid the provider does not publish.
var errUnknownKey = fmt.Errorf("%w: no signing key with this kid", errBadToken)

// key returns the public key for kid. The common case is one atomic load and
// one map lookup; the rest is the slow path.
func (s *Server) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if ks := s.keys.Load(); ks != nil {
		if k, ok := ks.keys[kid]; ok {
			return k, nil
		}
	}
	return s.keySlow(ctx, kid)
}

// keySlow loads the keys on first use and re-fetches them when a kid is
// unknown (the provider may have rotated its key), at most once per
// refetchInterval. Concurrent misses share a single fetch.
func (s *Server) keySlow(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	ks := s.keys.Load()
	if ks != nil {
		// A fetch may have finished between our miss and taking the lock.
		if k, ok := ks.keys[kid]; ok {
			s.mu.Unlock()
			return k, nil
		}
	}
	call := s.inflight
	if call == nil {
		if ks != nil {
			// The first load is not limited, so a failed one is retried by
			// the next request; only re-fetches for unknown kids are.
			now := s.now()
			if now.Before(s.nextRefetch) {
				s.mu.Unlock()
				return nil, errUnknownKey
			}
			s.nextRefetch = now.Add(refetchInterval)
		}
		call = s.startFetchLocked(ctx)
	}
	s.mu.Unlock()

	if s.waiting != nil {
		s.waiting()
	}
	if err := wait(ctx, call); err != nil {
		return nil, err
	}
	if k, ok := s.keys.Load().keys[kid]; ok {
		return k, nil
	}
	return nil, errUnknownKey
}

// Prefetch fetches discovery and the JWKS now, so the first protected
// request does not wait for them. It does nothing when the keys are already
// loaded. Calling it is optional.
func (s *Server) Prefetch(ctx context.Context) error {
	if s.keys.Load() != nil {
		return nil
	}
	s.mu.Lock()
	call := s.inflight
	if call == nil {
		if s.keys.Load() != nil {
			s.mu.Unlock()
			return nil
		}
		call = s.startFetchLocked(ctx)
	}
	s.mu.Unlock()
	return wait(ctx, call)
}

func wait(ctx context.Context, call *fetchCall) error {
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return fmt.Errorf("wait for signing keys: %w", context.Cause(ctx))
	}
}

// startFetchLocked starts a fetch in its own goroutine. It runs without the
// caller's cancellation (but with its values): it serves every waiter, so
// the first client hanging up must not fail it for the others.
// s.mu must be held.
func (s *Server) startFetchLocked(ctx context.Context) *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	s.inflight = call
	jwksURI := s.jwksURI
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultHTTPTimeout)
		defer cancel()
		err := s.fetch(ctx, jwksURI)
		s.mu.Lock()
		s.inflight = nil
		s.mu.Unlock()
		call.err = err
		close(call.done)
	}()
	return call
}

// fetch runs discovery if it has not succeeded yet, then the JWKS, and
// publishes the new key set. A panic here would kill the process (no
// request's recover covers this goroutine), so it becomes an error.
func (s *Server) fetch(ctx context.Context, jwksURI string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("fetch signing keys: panic: %v", v)
		}
	}()
	if jwksURI == "" {
		jwksURI, err = s.discover(ctx)
		if err != nil {
			return err
		}
		// Discovery is done once; only the JWKS is fetched again.
		s.mu.Lock()
		s.jwksURI = jwksURI
		s.mu.Unlock()
	}
	ks, err := s.fetchJWKS(ctx, jwksURI)
	if err != nil {
		return err
	}
	s.keys.Store(ks)
	return nil
}

// discover reads the provider's discovery document and returns its jwks_uri.
func (s *Server) discover(ctx context.Context) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, s.discoveryURL, &doc); err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	// OpenID Connect Discovery §4.3: the document must be about the issuer
	// we were configured with, or its keys mean nothing to us.
	if doc.Issuer != s.issuer {
		return "", fmt.Errorf("discovery: issuer is %q, want %q", doc.Issuer, s.issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("discovery: no jwks_uri")
	}
	if err := checkFetchURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("discovery: jwks_uri %q: %w", doc.JWKSURI, err)
	}
	// Keys fetched over plain HTTP could be swapped by anyone on the path,
	// which would undo the TLS that protected the discovery document.
	if strings.HasPrefix(s.discoveryURL, "https:") && !strings.HasPrefix(doc.JWKSURI, "https:") {
		return "", fmt.Errorf("discovery: jwks_uri %q is not https while the issuer is", doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}

// fetchJWKS reads the key set and keeps the keys usable for RS256
// signatures. Keys are parsed one by one so that a key of a kind we do not
// know (a new kty, an encryption key) does not hide the ones we need.
func (s *Server) fetchJWKS(ctx context.Context, uri string) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := s.getJSON(ctx, uri, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	ks := &keySet{keys: make(map[string]*rsa.PublicKey, len(doc.Keys))}
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		pub, ok := jwk.Key.(*rsa.PublicKey)
		switch {
		case !ok, jwk.KeyID == "",
			jwk.Use != "" && jwk.Use != "sig",
			jwk.Algorithm != "" && jwk.Algorithm != string(jose.RS256),
			pub.N.BitLen() < minRSABits:
			continue
		}
		ks.keys[jwk.KeyID] = pub
	}
	if len(ks.keys) == 0 {
		// Keep the old set rather than reject every token: a provider
		// publishing no usable key is a fault, not a revocation.
		return nil, fmt.Errorf("jwks: %s has no RS256 signing key with a kid", uri)
	}
	return ks, nil
}

func (s *Server) getJSON(ctx context.Context, uri string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", uri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", uri, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", uri, err)
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("read %s: larger than %d bytes", uri, maxDocumentBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %w", uri, err)
	}
	return nil
}
