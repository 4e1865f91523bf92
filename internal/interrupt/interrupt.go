// Package interrupt cancels hello's context on Ctrl-C (SIGINT) or SIGTERM,
// recording the signal as the cancellation's cause, so that a run cut
// short by it can exit as shells expect: 128 plus the signal's number, 130
// for Ctrl-C.
//
// The handler is installed off the start-up path. signal.Notify costs a
// few hundred microseconds on its first call (the runtime starts a thread
// of its own for signal masks and hands each signal to it), a large share
// of a command that is done in a few milliseconds. So Notify installs it in
// the background, and the context's Done method waits until it is in
// place. Everything that can be interrupted cleanly (a request, a lock
// wait, a derived context, a server waiting to be stopped) calls Done
// first, so from then on a signal cancels the context; before that nothing
// has been started that a cancellation could stop, and a signal ends the
// process as it would before any handler exists.
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
	ready := make(chan struct{})
	go func() {
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		close(ready)
	}()
	ctx, stop := watch(parent, ch, func() {
		<-ready // Stop before Notify would leave the handler in place
		signal.Stop(ch)
	})
	return &installedContext{Context: ctx, ready: ready}, stop
}

// installedContext is the signal context, whose Done waits for the handler.
// Value, Err and Deadline are the inner context's, and Done returns the
// inner context's channel, so the context package still sees a plain
// cancelable parent: contexts derived from it cost no extra goroutine, and
// context.Cause finds the signal.
type installedContext struct {
	context.Context
	ready chan struct{}
}

func (c *installedContext) Done() <-chan struct{} {
	<-c.ready
	return c.Context.Done()
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
