package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"explicit", exitcode.New(exitcode.Forbidden, errors.New("x")), 5},
		{"config", fmt.Errorf("load: %w", &config.Error{Key: "issuer"}), 2},
		{"not logged in", session.ErrNotLoggedIn, 4},
		{"corrupt cache", &session.CorruptError{Err: errors.New("bad json")}, 4},
		{"expired", fmt.Errorf("x: %w", session.ErrExpired), 4},
		{"denied", &oidcclient.OAuthError{Code: "access_denied", StatusCode: 400}, 4},
		{"device expired", &oidcclient.OAuthError{Code: "expired_token", StatusCode: 400}, 4},
		{"callback error", &callback.CallbackError{Code: "access_denied"}, 4},
		{"login timeout", callback.ErrTimeout, 4},
		{"provider 503", &oidcclient.OAuthError{StatusCode: 503}, 3},
		{"provider refuses", &oidcclient.OAuthError{Code: "invalid_client", StatusCode: 401}, 4},
		{"provider busy", &oidcclient.OAuthError{Code: "slow_down", StatusCode: 429}, 3},
		{"no client secret", fmt.Errorf("x: %w", oidcclient.ErrNoClientSecret), 2},
		{"refused", fmt.Errorf("call: %w", refused), 3},
		{"dns", &net.DNSError{Err: "no such host", Name: "x"}, 3},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), 3},
		{"port busy", &callback.PortInUseError{Port: 4040, Err: refused}, 1},
		{"lock", fmt.Errorf("x: %w", tokencache.ErrLockTimeout), 1},
		{"unknown command", errors.New(`unknown command "x" for "hello"`), 2},
		{"other", errors.New("boom"), 1},
	}
	for _, tt := range tests {
		if got := exitCode(context.Background(), tt.err); got != tt.want {
			t.Errorf("%s: exit code %d, want %d", tt.name, got, tt.want)
		}
	}
}
