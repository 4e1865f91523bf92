package keystore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds every keyring call: the probe of auto mode must
// answer within it, and so must every later read, write or delete.
const DefaultTimeout = 3 * time.Second

// Clock is the time source; tests inject a fake to fire deadlines at will.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// ErrTimeout is matched by the error of a keyring call that did not answer
// within its bound.
var ErrTimeout = errors.New("the OS keyring did not answer")

// bounded runs keyring calls with a deadline. A call that misses it is
// abandoned: its goroutine is left blocked (nothing can interrupt a D-Bus
// library call), and every later call fails at once instead of queueing
// behind it, so one hung bus costs a process one bound, not one per call.
type bounded struct {
	b       Backend
	timeout time.Duration
	clock   Clock
	// hung is shared by every Store of the process (see Shared): the bus
	// is the same whichever cache directory a call is for.
	hung *atomic.Bool
}

func (k *bounded) get(ctx context.Context, service, user string) (string, error) {
	var v string
	err := k.do(ctx, "read", func(b Backend) (err error) {
		v, err = b.Get(service, user)
		return err
	})
	return v, err
}

func (k *bounded) set(ctx context.Context, service, user, secret string) error {
	return k.do(ctx, "write", func(b Backend) error { return b.Set(service, user, secret) })
}

func (k *bounded) delete(ctx context.Context, service, user string) error {
	return k.do(ctx, "delete", func(b Backend) error { return b.Delete(service, user) })
}

func (k *bounded) do(ctx context.Context, op string, call func(Backend) error) error {
	if k.hung.Load() {
		return fmt.Errorf("%w (an earlier call did not return within %s)", ErrTimeout, k.timeout)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1) // buffered: an abandoned call must not block forever on send
	go func() { done <- call(k.b) }()
	select {
	case err := <-done:
		return err
	case <-k.clock.After(k.timeout):
		k.hung.Store(true)
		return fmt.Errorf("%w within %s (%s)", ErrTimeout, k.timeout, op)
	case <-ctx.Done():
		return ctx.Err()
	}
}
