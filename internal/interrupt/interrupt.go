// Package interrupt cancels hello's context on Ctrl-C (SIGINT) or SIGTERM,
// recording the signal as the cancellation's cause, so that a run cut
// short by it can exit as shells expect: 128 plus the signal's number, 130
// for Ctrl-C.
//
// The handler is installed only where it is needed. signal.Notify makes the
// Go runtime start two threads of its own (one to change signal masks, one
// blocked receiving signals): measured, three of the six threads of a warm
// `hello messages protected` and some 0.3 ms of its 3.6 ms. So Notify only
// prepares the context, and Arm installs the handler: a command calls it
// when it is about to wait on a person or a server for long, take a lock,
// or change stored state — anything a signal should end cleanly.
//
// A command that never arms (a read-only call with a valid cached token)
// gets the Go runtime's default on Ctrl-C or SIGTERM: the process ends at
// once, killed by the signal, which a shell reports as 130 or 143 all the
// same. It has nothing to clean up: it holds no lock and writes nothing.
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

func (e *SignalError) Error() string {
	// The names people know: os.Signal's own strings are "interrupt" and
	// "terminated", which read badly after "interrupted by".
	switch e.Signal {
	case os.Interrupt:
		return "interrupted by Ctrl-C (SIGINT)"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by signal " + e.Signal.String()
}

// installer puts the process's signal handler in place and takes it away;
// tests replace it so that no real signal is involved.
type installer struct {
	install func(ch chan<- os.Signal)
	release func(ch chan<- os.Signal)
}

var osSignals = installer{
	install: func(ch chan<- os.Signal) { signal.Notify(ch, os.Interrupt, syscall.SIGTERM) },
	release: func(ch chan<- os.Signal) { signal.Stop(ch) },
}

// Notify returns a context that the first SIGINT or SIGTERM cancels once
// Arm has been called on it, and a function that releases it. After that
// first signal hello stops listening, so a second Ctrl-C ends a process
// that does not stop quickly enough, as shell users expect.
func Notify(parent context.Context) (context.Context, func()) {
	return notify(parent, osSignals)
}

// notify is Notify with the installer given, for tests.
func notify(parent context.Context, in installer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	h := &handler{in: in, ctx: ctx, cancel: cancel}
	return context.WithValue(ctx, handlerKey{}, h), h.stop
}

// Arm installs the signal handler of the context Notify returned, if ctx
// is it or derived from it; once Arm returns, a signal cancels ctx. It is
// safe to call any number of times, from any goroutine; it does nothing
// for any other context, after the release, or once ctx is done.
func Arm(ctx context.Context) {
	if h, ok := ctx.Value(handlerKey{}).(*handler); ok {
		h.arm()
	}
}

type handlerKey struct{}

// handler is one Notify context's signal handler.
type handler struct {
	in     installer
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	armed    bool // installed (it may have been released since)
	released bool // released: after the first signal, or stop
	ch       chan os.Signal
}

func (h *handler) arm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.armed || h.released || h.ctx.Err() != nil {
		return
	}
	h.armed = true
	h.ch = make(chan os.Signal, 1)
	h.in.install(h.ch)
	go func() {
		select {
		case sig := <-h.ch:
			h.release()
			h.cancel(&SignalError{Signal: sig})
		case <-h.ctx.Done():
		}
	}()
}

// release takes the handler away, once; the first signal or stop does.
func (h *handler) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	if h.armed {
		h.in.release(h.ch)
	}
}

func (h *handler) stop() {
	h.release()
	h.cancel(context.Canceled)
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
