// Package interrupt cancels hello's context on Ctrl-C (SIGINT) or SIGTERM,
// recording the signal as the cancellation's cause, so that a run cut
// short by it can exit as shells expect: 128 plus the signal's number, 130
// for Ctrl-C.
package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// SignalError is the cause of a context that a signal cancelled.
type SignalError struct {
	Signal os.Signal
}

func (e *SignalError) Error() string { return "interrupted by " + e.Signal.String() }

// Notify returns a context that the first SIGINT or SIGTERM cancels, and
// a function that releases it. After that first signal hello stops
// listening, so a second Ctrl-C ends a process that does not stop quickly
// enough, as shell users expect.
func Notify(parent context.Context) (context.Context, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return watch(parent, ch, func() { signal.Stop(ch) })
}

// watch is Notify over any signal channel, for tests.
func watch(parent context.Context, ch <-chan os.Signal, stopSignals func()) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	stopSignals = sync.OnceFunc(stopSignals)
	go func() {
		select {
		case sig := <-ch:
			stopSignals()
			cancel(&SignalError{Signal: sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		stopSignals()
		cancel(context.Canceled)
	}
}

// ExitCode returns 128 plus the number of the signal that cancelled ctx,
// and whether a signal did.
func ExitCode(ctx context.Context) (int, bool) {
	var se *SignalError
	if !errors.As(context.Cause(ctx), &se) {
		return 0, false
	}
	sig, ok := se.Signal.(syscall.Signal)
	if !ok {
		return 0, false
	}
	return 128 + int(sig), true
}
