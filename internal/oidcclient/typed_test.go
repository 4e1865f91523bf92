package oidcclient

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
)

// Every request's failure is an *httperr.Error naming the endpoint, with
// the status and Retry-After: discovery and the signing keys included,
// which go-oidc would have flattened into text.
func TestFailuresAreTyped(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusNotFound} {
		op := newFakeOP(t)
		op.discoveryStatus = status
		// No retries here: the transport's are tested in its package.
		_, err := New(t.Context(), Config{Issuer: op.issuer, ClientID: testClientID})
		var he *httperr.Error
		if !errors.As(err, &he) || he.What != httperr.Discovery || he.StatusCode != status || he.RetryAfter != 3*time.Second {
			t.Errorf("discovery %d: %v, want an *httperr.Error from discovery", status, err)
		}
		if he != nil && he.Temporary() != (status != http.StatusNotFound) {
			t.Errorf("discovery %d: Temporary() = %v", status, he.Temporary())
		}
	}

	op := newFakeOP(t)
	op.jwksStatus = http.StatusBadGateway
	op.deviceScript = []string{"approve"}
	c := newClient(t, op)
	_, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{})
	var he *httperr.Error
	if !errors.As(err, &he) || he.What != httperr.JWKS || he.StatusCode != http.StatusBadGateway || !he.Temporary() {
		t.Errorf("JWKS 502: %v, want an *httperr.Error from the key set", err)
	}

	op = newFakeOP(t)
	op.tokenStatus = http.StatusServiceUnavailable
	op.addRefreshToken("rt")
	_, err = newClient(t, op).Refresh(t.Context(), "rt")
	if !errors.As(err, &he) || he.What != httperr.Token || he.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("token 503: %v, want an *httperr.Error from the token endpoint", err)
	}
}
