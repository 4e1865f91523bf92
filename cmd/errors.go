package cmd

import (
	"context"
	"errors"
	"net"
	"net/url"
	"syscall"

	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
)

// classify maps the errors of hello's packages to exit codes.
func classify(err error) (int, bool) {
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		return exitcode.Usage, true
	}
	for _, target := range []error{
		session.ErrNotLoggedIn, session.ErrExpired,
		oidcclient.ErrAccessDenied, oidcclient.ErrInvalidGrant, oidcclient.ErrDeviceExpired,
		callback.ErrTimeout,
	} {
		if errors.Is(err, target) {
			return exitcode.NoSession, true
		}
	}
	// A busy local port wraps a *net.OpError, yet nothing is unreachable.
	var portErr *callback.PortInUseError
	if errors.As(err, &portErr) {
		return exitcode.Failure, true
	}
	var cbErr *callback.CallbackError
	if errors.As(err, &cbErr) {
		return exitcode.NoSession, true
	}
	if errors.Is(err, oidcclient.ErrNoClientSecret) {
		return exitcode.Usage, true
	}
	var oauthErr *oidcclient.OAuthError
	if errors.As(err, &oauthErr) {
		if oauthErr.Temporary() {
			return exitcode.Unavailable, true
		}
		// The provider refused (invalid_client, unauthorized_client, …):
		// no session can be had this way.
		return exitcode.NoSession, true
	}
	if unreachable(err) {
		return exitcode.Unavailable, true
	}
	return 0, false
}

// unreachable reports network failures: refused, reset, unknown host, timeout.
func unreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return true
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Timeout() {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
