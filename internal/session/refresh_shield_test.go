package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// notes collects what a session tells the user.
type notes struct {
	mu  sync.Mutex
	all []string
}

func (n *notes) add(msg string) { n.mu.Lock(); n.all = append(n.all, msg); n.mu.Unlock() }

func (n *notes) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.all...)
}

// waiting counts the notices that hello waits for the provider's answer.
func (n *notes) waiting() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, m := range n.all {
		if strings.Contains(m, "waiting for its answer") {
			c++
		}
	}
	return c
}

// shieldProbe is a provider that records what the refresh's context looks
// like once a signal has come, and lets the signal come during the request.
type shieldProbe struct {
	*fakeProvider
	signal func()

	mu          sync.Mutex
	errAfterSig error
	deadline    time.Time
	hasDeadline bool
}

func (p *shieldProbe) Refresh(ctx context.Context, rt string) (*token.Token, error) {
	p.signal()
	p.mu.Lock()
	p.errAfterSig = ctx.Err()
	p.deadline, p.hasDeadline = ctx.Deadline()
	p.mu.Unlock()
	return p.fakeProvider.Refresh(ctx, rt)
}

// expiredSession is a session whose entry has expired (its next use
// renews), what it tells the user, and a context that the test cancels as
// a signal would.
func expiredSession(t *testing.T) (*fakeProvider, *Session, *notes, *tokencache.Entry, context.Context, context.CancelCauseFunc) {
	t.Helper()
	p := &fakeProvider{}
	s := newSession(t, p)
	n := &notes{}
	s.Notify = n.add
	e := saveToken(t, s, 2*time.Hour, time.Hour)
	ctx, cancel := context.WithCancelCause(t.Context())
	t.Cleanup(func() { cancel(nil) })
	return p, s, n, e, ctx, cancel
}

// TestTheShieldedRefreshKeepsTheRenewalDeadline: a signal does not cancel
// the refresh, but RenewTimeout still bounds it, and the run still ends as
// interrupted, with the one notice that hello waits for the answer.
func TestTheShieldedRefreshKeepsTheRenewalDeadline(t *testing.T) {
	t.Parallel()
	p, s, n, _, ctx, cancel := expiredSession(t)
	probe := &shieldProbe{fakeProvider: p, signal: func() { cancel(&interrupt.SignalError{Signal: syscall.SIGTERM}) }}
	s.Connect = func(context.Context) (Renewer, error) { return probe, nil }

	before := time.Now()
	_, err := s.Token(ctx, Want{})
	after := time.Now()
	var se *interrupt.SignalError
	if !errors.As(err, &se) {
		t.Errorf("Token after a signal: %v; want the interruption", err)
	}
	if probe.errAfterSig != nil {
		t.Errorf("the refresh's context ended with the signal (%v): its answer would be lost", probe.errAfterSig)
	}
	// The renewal's own deadline, set between before and after.
	if !probe.hasDeadline || probe.deadline.Before(before.Add(RenewTimeout)) || probe.deadline.After(after.Add(RenewTimeout)) {
		t.Errorf("the refresh's deadline is %v after the call began (set: %v), want RenewTimeout (%v)", probe.deadline.Sub(before), probe.hasDeadline, RenewTimeout)
	}
	if e := load(t, s); e.Token.RefreshToken != "rt+" {
		t.Errorf("the cache holds %q, want the rotated %q", e.Token.RefreshToken, "rt+")
	}
	if got := n.waiting(); got != 1 {
		t.Errorf("%d notices that hello waits for the answer, want 1: %q", got, n.list())
	}
}

// TestNoWaitNoticeWithoutASignal: a context ended by something other than
// a signal (here a deadline, as the cause) prints no "waiting" notice.
func TestNoWaitNoticeWithoutASignal(t *testing.T) {
	t.Parallel()
	p, s, n, _, ctx, cancel := expiredSession(t)
	p.during = func() { cancel(context.DeadlineExceeded) }
	_, _ = s.Token(ctx, Want{})
	if got := n.waiting(); got != 0 {
		t.Errorf("%d notices that hello waits for the answer, want none without a signal: %q", got, n.list())
	}
}

// TestASignalBeforeTheRefreshIsSentSpendsNothing: the shield is for a
// request already on its way. A signal that came before it (here: while
// the provider was being reached, whose client this process had already
// discovered) stops the run before the refresh token is spent: sending it
// after Ctrl-C makes the person wait for, and risk, a rotation they asked
// to be spared.
func TestASignalBeforeTheRefreshIsSentSpendsNothing(t *testing.T) {
	t.Parallel()
	p, s, n, before, ctx, cancel := expiredSession(t)
	s.Connect = func(context.Context) (Renewer, error) {
		cancel(&interrupt.SignalError{Signal: syscall.SIGINT})
		return p, nil
	}
	_, err := s.Token(ctx, Want{})
	var se *interrupt.SignalError
	if !errors.As(err, &se) {
		t.Errorf("Token: %v; want the interruption", err)
	}
	if got := p.refreshes.Load(); got != 0 {
		t.Errorf("%d refreshes sent after the signal, want 0", got)
	}
	if e := load(t, s); e.Token.RefreshToken != before.Token.RefreshToken || e.Dead {
		t.Errorf("entry %+v, want it unchanged", e)
	}
	if got := n.waiting(); got != 0 {
		t.Errorf("%d notices that hello waits for an answer, but no request was out: %q", got, n.list())
	}
}

// refusedAfterASignal runs Token on an expired entry whose refresh is
// refused with invalid_grant (the refresh token "rt"; refuseAll refuses any),
// while another writer (an older hello that ignores the lock) saves its
// own entry, issued at issued for an hour, and Ctrl-C comes.
func refusedAfterASignal(t *testing.T, issued time.Duration, refuseAll bool) (*fakeProvider, *Session, *notes, *token.Token, error) {
	t.Helper()
	invalid := &httperr.Error{What: httperr.Token, StatusCode: 400, Code: "invalid_grant"}
	p, s, n, _, ctx, cancel := expiredSession(t)
	p.refuse = func(rt string) error {
		if refuseAll || rt == "rt" {
			return invalid
		}
		return nil
	}
	p.during = func() {
		if p.refreshes.Load() != 1 {
			return
		}
		at := s.Now().Add(issued)
		_ = s.Store.Save(s.Key, &tokencache.Entry{User: "alice@example.com", Token: token.Token{
			AccessToken: "at-other", RefreshToken: "rt-other", IssuedAt: at, Expiry: at.Add(time.Hour), Grant: token.GrantAuthorizationCode,
		}})
		cancel(&interrupt.SignalError{Signal: syscall.SIGINT})
	}
	tok, err := s.Token(ctx, Want{})
	return p, s, n, tok, err
}

// TestASignalThenARefusalSpendsNoSecondRefreshToken: the refresh in flight
// when Ctrl-C came is refused, and another process rotated the entry
// meanwhile, its token expired too. Its refresh token is not spent after
// the signal: the person asked to stop, and that entry is safe on disk for
// the next run. The notice is printed once.
func TestASignalThenARefusalSpendsNoSecondRefreshToken(t *testing.T) {
	t.Parallel()
	p, s, n, _, err := refusedAfterASignal(t, -2*time.Hour, false)
	var se *interrupt.SignalError
	if !errors.As(err, &se) {
		t.Errorf("Token: %v; want the interruption", err)
	}
	if got := p.refreshes.Load(); got != 1 {
		t.Errorf("%d refreshes, want 1: the other process's refresh token was spent after the signal", got)
	}
	if e := load(t, s); e.Token.RefreshToken != "rt-other" || e.Dead {
		t.Errorf("entry %+v, want the other process's, untouched", e)
	}
	if got := n.waiting(); got != 1 {
		t.Errorf("%d notices that hello waits for the answer, want 1: %q", got, n.list())
	}
}

// TestASignalThenARefusalHandsOutNoToken: the same, but the other writer
// left a valid token. The run still ends as interrupted: `hello token`
// must not print that token, nor `hello exec` start its command, after the
// person asked to stop.
func TestASignalThenARefusalHandsOutNoToken(t *testing.T) {
	t.Parallel()
	_, s, _, tok, err := refusedAfterASignal(t, 0, true)
	var se *interrupt.SignalError
	if !errors.As(err, &se) || tok != nil {
		t.Errorf("Token = %v, %v; want no token and the interruption", tok, err)
	}
	if e := load(t, s); e.Token.AccessToken != "at-other" || e.Dead {
		t.Errorf("entry %+v, want the other writer's, untouched", e)
	}
}
