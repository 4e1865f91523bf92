// Package interrupt cancels hello's context on Ctrl-C (SIGINT) or SIGTERM
// and turns the signal into the exit code shells expect: 128 plus the
// signal's number, 130 for Ctrl-C.
package interrupt

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Watcher remembers the first signal that cancelled its context.
type Watcher struct {
	mu     sync.Mutex
	sig    os.Signal
	stop   func()
	cancel context.CancelFunc
}

// Notify returns a context that the first SIGINT or SIGTERM cancels. After
// that first signal hello stops listening, so a second Ctrl-C ends a
// process that does not stop quickly enough, as shells users expect.
func Notify(parent context.Context) (context.Context, *Watcher) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return watch(parent, ch, func() { signal.Stop(ch) })
}

// watch is Notify over any signal channel, for tests.
func watch(parent context.Context, ch <-chan os.Signal, stop func()) (context.Context, *Watcher) {
	ctx, cancel := context.WithCancel(parent)
	w := &Watcher{stop: sync.OnceFunc(stop), cancel: cancel}
	go func() {
		select {
		case sig := <-ch:
			w.mu.Lock()
			w.sig = sig
			w.mu.Unlock()
			w.stop()
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, w
}

// Signal returns the signal that cancelled the context, or nil.
func (w *Watcher) Signal() os.Signal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sig
}

// ExitCode returns code, or 128 plus the signal's number when a signal
// interrupted a run that then failed. A run that finished cleanly after
// the signal (the sandbox shutting down as asked) keeps its 0.
func (w *Watcher) ExitCode(code int) int {
	sig, ok := w.Signal().(syscall.Signal)
	if !ok || code == 0 {
		return code
	}
	return 128 + int(sig)
}

// Stop releases the signal handler and the context.
func (w *Watcher) Stop() {
	w.stop()
	w.cancel()
}
