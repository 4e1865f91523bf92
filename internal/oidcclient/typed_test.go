package oidcclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
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

// A request sent but not answered in time was not "unreachable": the
// network and the issuer are fine, the provider is slow.
func TestNoAnswerInTimeIsNotUnreachable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"deadline", &url.Error{Op: "Post", URL: "https://op.example.com/oauth/token", Err: context.DeadlineExceeded}, "did not answer in time"},
		{"refused", &url.Error{Op: "Post", URL: "https://op.example.com/oauth/token", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, "could not be reached"},
		{"dial timeout", &url.Error{Op: "Post", URL: "https://op.example.com/oauth/token", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}}, "could not be reached"},
	} {
		err := unreachable(httperr.Token, tc.err)
		if !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("%s: %q, want it to say %q and wrap the cause", tc.name, err, tc.want)
		}
	}
}

// An empty 200 answer is a malformed one (exit 1), not a connection closed
// before the answer (io.EOF, which the command layer maps to exit 3).
func TestEmptyClaimsAreNotEOF(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "  \n"} {
		_, err := decodeObject([]byte(body))
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("decodeObject(%q) = %v, want an error that is not io.EOF", body, err)
		}
	}
}
