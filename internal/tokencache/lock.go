package tokencache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// lockRetryDelay is how often Lock polls a held lock. Refreshes take tens to
// hundreds of milliseconds, so polling faster than this buys nothing.
const lockRetryDelay = 25 * time.Millisecond

// Lock takes the exclusive lock for k, waiting up to s.LockTimeout or until
// ctx is done, whichever comes first; both give an error matching
// ErrLockTimeout (and ctx's error when ctx ended the wait).
//
// The lock excludes other processes and, because each call opens the lock
// file anew (flock locks belong to the open file description), other
// goroutines of this process too. Call unlock when done; calling it again is
// harmless. The lock is released by the OS if the process dies.
func (s *Store) Lock(ctx context.Context, k Key) (unlock func() error, err error) {
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	timeout := s.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	path := s.lockPath(k)
	fl := flock.New(path, flock.SetPermissions(0o600))

	start := time.Now()
	ok, err := fl.TryLock()
	if err == nil && !ok {
		if s.onWait != nil {
			s.onWait()
		}
		ok, err = s.waitLock(ctx, fl, timeout)
	}
	switch {
	case ok:
		return sync.OnceValue(fl.Unlock), nil
	case err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		waited := time.Since(start).Round(time.Millisecond)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w %s (another hello process holds it; waited %s): %w", ErrLockTimeout, path, waited, ctx.Err())
		}
		return nil, fmt.Errorf("%w %s: another hello process holds it (waited %s); try again, or stop that process", ErrLockTimeout, path, waited)
	default:
		return nil, fmt.Errorf("token cache: lock %s: %w", path, err)
	}
}

// waitLock polls fl until it is taken, ctx is done or timeout has passed;
// the last two return false and, for ctx, its error.
func (s *Store) waitLock(ctx context.Context, fl *flock.Flock, timeout time.Duration) (bool, error) {
	expire := s.expire
	if expire == nil {
		expire = time.After
	}
	expired := expire(timeout)
	poll := time.NewTicker(lockRetryDelay)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-expired:
			return false, nil
		case <-poll.C:
		}
		if ok, err := fl.TryLock(); ok || err != nil {
			return ok, err
		}
	}
}
