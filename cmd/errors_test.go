package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	op := func(what httperr.What, status int, code string) *httperr.Error {
		return &httperr.Error{What: what, StatusCode: status, Code: code}
	}
	api := func(status int) error { return &apiclient.Error{Kind: "admin", Err: op(httperr.API, status, "")} }
	inClient := func(err error) error {
		return &url.Error{Op: "Get", URL: "http://api", Err: &session.TokenError{Err: err}}
	}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"explicit", exitcode.New(exitcode.Forbidden, errors.New("x")), 5},
		{"config", fmt.Errorf("load: %w", &config.Error{Key: "issuer"}), 2},
		{"no client secret", fmt.Errorf("x: %w", oidcclient.ErrNoClientSecret), 2},
		{"not logged in", session.ErrNotLoggedIn, 4},
		{"not logged in, inside the API client", inClient(session.ErrNotLoggedIn), 4},
		{"corrupt cache", &session.CorruptError{Err: &tokencache.CorruptError{Path: "p", Err: errors.New("bad json")}}, 4},
		{"revoked", &session.RevokedError{Err: op(httperr.Token, 400, "invalid_grant")}, 4},
		{"dead entry", session.ErrRevoked, 4},
		{"cache unwritable", &tokencache.SaveError{Dir: "d", Err: syscall.EROFS}, 1},
		{"cache unwritable, inside the API client", inClient(&tokencache.SaveError{Dir: "d", Err: syscall.ENOSPC}), 1},
		{"lock", fmt.Errorf("x: %w", tokencache.ErrLockTimeout), 1},
		{"denied", fmt.Errorf("login: %w", oidcclient.ErrAccessDenied), 4},
		{"device expired", fmt.Errorf("x: %w", oidcclient.ErrDeviceExpired), 4},
		{"callback error", &callback.CallbackError{Code: "access_denied"}, 4},
		{"login timeout", callback.ErrTimeout, 4},
		{"device or pasted login timeout", fmt.Errorf("device login: %w", oidcclient.ErrLoginTimeout), 4},
		{"RFC 9207 iss mismatch", fmt.Errorf("login: %w", &oidcclient.ResponseIssuerError{Want: "a", Got: "b"}), 4},
		{"pasted state mismatch", fmt.Errorf("login: %w", oidcclient.ErrStateMismatch), 4},
		{"--par without an endpoint", oidcclient.ErrNoPAR, 2},
		{"token endpoint 503", op(httperr.Token, 503, ""), 3},
		{"token endpoint 429", op(httperr.Token, 429, ""), 3},
		{"token endpoint temporarily_unavailable", op(httperr.Token, 400, "temporarily_unavailable"), 3},
		{"renewal 503 inside the API client", inClient(op(httperr.Token, 503, "")), 3},
		{"discovery 429", op(httperr.Discovery, 429, ""), 3},
		{"discovery 503", op(httperr.Discovery, 503, ""), 3},
		{"discovery 404", op(httperr.Discovery, 404, ""), 1},
		{"JWKS 502", op(httperr.JWKS, 502, ""), 3},
		{"userinfo 503", op(httperr.UserInfo, 503, ""), 3},
		{"device endpoint 429", op(httperr.Device, 429, "slow_down"), 3},
		{"invalid_client", op(httperr.Token, 401, "invalid_client"), 4},
		{"userinfo refuses a fresh token", op(httperr.UserInfo, 401, "invalid_token"), 4},
		{"API refuses a fresh token", api(401), 4},
		{"API 403", api(403), 5},
		{"API 500", api(500), 3},
		{"API 429", api(429), 3},
		{"API 404", api(404), 1},
		{"issuer mismatch", &oidcclient.IssuerMismatchError{Configured: "a/", Advertised: "a"}, 1},
		{"other origin", fmt.Errorf("x: %w", session.ErrOtherOrigin), 1},
		{"refused", fmt.Errorf("call: %w", refused), 3},
		{"dns", &net.DNSError{Err: "no such host", Name: "x"}, 3},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), 3},
		{"connection closed before the answer", &url.Error{Op: "Post", URL: "x", Err: io.EOF}, 3},
		{"port busy", &callback.PortInUseError{Port: 4040, Err: refused}, 1},
		{"other", errors.New("boom"), 1},
	}
	for _, tt := range tests {
		if got := exitCode(context.Background(), tt.err); got != tt.want {
			t.Errorf("%s: exit code %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestMessageUnwrapsTheSessionError(t *testing.T) {
	t.Parallel()
	err := &url.Error{Op: "Get", URL: "http://127.0.0.1:6060/api/messages/protected", Err: &session.TokenError{Err: session.ErrNotLoggedIn}}
	if got := message(context.Background(), err); got != session.ErrNotLoggedIn.Error() {
		t.Errorf("message = %q, want the session's own sentence", got)
	}
}
