package session

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/token"
)

// answeredAfterSignal is a provider that rotates the refresh token, after
// which Ctrl-C comes while its answer travels back. Like net/http, it
// drops an answer whose request context is done by then.
type answeredAfterSignal struct {
	*fakeProvider
	signal func()
}

func (p answeredAfterSignal) Refresh(ctx context.Context, rt string) (*token.Token, error) {
	t, err := p.fakeProvider.Refresh(ctx, rt)
	p.signal()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return t, err
}

// TestSignalDuringARefreshKeepsTheRotatedSession: once the refresh request
// is out, the provider may have rotated the refresh token, and the one on
// disk is spent. An answer that does arrive must be saved although Ctrl-C
// or SIGTERM came meanwhile: dropping it loses the session (the next run
// presents the spent token: invalid_grant). The run still ends as
// interrupted.
func TestSignalDuringARefreshKeepsTheRotatedSession(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	saveToken(t, s, 2*time.Hour, time.Hour) // expired: the next use renews
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	signal := func() { cancel(&interrupt.SignalError{Signal: syscall.SIGINT}) }
	s.Connect = func(context.Context) (Renewer, error) { return answeredAfterSignal{p, signal}, nil }

	_, _ = s.Token(ctx, Want{}) // an error or the token: either way the run is over
	if n := p.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	if e := load(t, s); e.Token.RefreshToken != "rt+" {
		t.Errorf("the cache holds refresh token %q, spent at the provider; want its successor %q, whose answer arrived", e.Token.RefreshToken, "rt+")
	}
}
