package cmd

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
)

// exitCode is the one place where errors become exit codes. Every error it
// knows is a type or a sentinel created where the failure arose; no message
// text is read.
func exitCode(ctx context.Context, err error) int {
	var (
		coded    *exitcode.Error
		cfgErr   *config.Error
		portErr  *callback.PortInUseError
		cbErr    *callback.CallbackError
		httpErr  *httperr.Error
		apiErr   *apiclient.Error
		saveErr  *tokencache.SaveError
		mismatch *oidcclient.IssuerMismatchError
		withheld *config.SecretIssuerError
	)
	switch {
	case err == nil:
		return exitcode.OK
	case errors.As(err, &coded):
		return coded.Code
	case errors.As(err, &cfgErr), errors.As(err, &withheld), errors.Is(err, oidcclient.ErrNoClientSecret), errors.Is(err, oidcclient.ErrNoPAR):
		return exitcode.Usage
	// A login answer refused before its code was redeemed: no session.
	case errors.Is(err, oidcclient.ErrResponseIssuer), errors.Is(err, oidcclient.ErrStateMismatch),
		errors.Is(err, oidcclient.ErrLoginTimeout):
		return exitcode.NoSession
	// The session's own failures come before the network's: a renewal that
	// failed because the disk is full is about the disk.
	case errors.As(err, &saveErr), errors.Is(err, tokencache.ErrLockTimeout):
		return exitcode.Failure
	case errors.Is(err, session.ErrNotLoggedIn), errors.Is(err, session.ErrRevoked), errors.Is(err, session.ErrNeedSecret):
		return exitcode.NoSession
	case errors.As(err, &apiErr) && apiErr.Anonymous && apiErr.Err.StatusCode == 401:
		// No token was sent: no session is at fault, the API URL is.
		return exitcode.Failure
	case errors.As(err, &httpErr):
		return httpExitCode(httpErr, errors.As(err, &apiErr))
	case errors.As(err, &mismatch):
		return exitcode.Failure
	case errors.Is(err, oidcclient.ErrAccessDenied), errors.Is(err, oidcclient.ErrDeviceExpired),
		errors.Is(err, callback.ErrTimeout):
		return exitcode.NoSession
	// A busy local port wraps a *net.OpError, yet nothing is unreachable.
	case errors.As(err, &portErr):
		return exitcode.Failure
	case errors.As(err, &cbErr):
		return exitcode.NoSession
	case errors.Is(err, session.ErrOtherOrigin):
		return exitcode.Failure
	case ctx.Err() != nil && cancelled(err):
		// Cut short by Ctrl-C or SIGTERM: 128 + the signal, as shells
		// expect. A command that finished on its own terms after the
		// signal (hello exec's child) keeps its own code.
		if code, ok := interrupt.ExitCode(ctx); ok {
			return code
		}
		return exitcode.Failure
	case unreachable(err):
		return exitcode.Unavailable
	}
	return exitcode.Failure
}

// httpExitCode maps an HTTP answer. fromAPI tells the API from the provider.
func httpExitCode(e *httperr.Error, fromAPI bool) int {
	switch {
	case e.Temporary():
		return exitcode.Unavailable
	case fromAPI && e.StatusCode == 401:
		// A fresh token refused: the session cannot be used for this API.
		return exitcode.NoSession
	case fromAPI && e.StatusCode == 403:
		return exitcode.Forbidden
	case fromAPI:
		return exitcode.Failure
	case e.What == httperr.Discovery || e.What == httperr.JWKS:
		// A wrong issuer URL, most likely: not a session problem.
		return exitcode.Failure
	default:
		// The provider refused (invalid_client, unauthorized_client, …):
		// no session can be had this way.
		return exitcode.NoSession
	}
}

// unreachable reports network failures: refused, reset, unknown host, timeout.
// cancelled says whether err is a cancellation. net/http reports a request
// cut short by the context's cause (the signal's *interrupt.SignalError),
// not by context.Canceled.
func cancelled(err error) bool {
	var se *interrupt.SignalError
	return errors.Is(err, context.Canceled) || errors.As(err, &se)
}

func unreachable(err error) bool {
	// A connection closed before the answer (EOF) is a server that went
	// away mid-request, not a malformed answer.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
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
