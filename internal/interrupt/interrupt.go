// Package interrupt turns Ctrl-C and SIGTERM into the cancellation of a
// context, like signal.NotifyContext, but without making start-up wait for
// it.
//
// signal.Notify costs a few hundred microseconds on its first call: the
// runtime starts a thread of its own for signal masks and hands each signal
// to it. For a command that is done in a few milliseconds that is a large
// share, so here the handler is installed in the background, and the
// context's Done method waits until it is in place. Everything that can be
// interrupted cleanly (a request, a lock wait, a derived context) calls Done
// first, so from then on a signal cancels the context; before that, nothing
// has been started that a cancellation could stop, and a signal ends the
// process as it would before any handler exists.
package interrupt

import (
	"context"
	"os"
	"os/signal"
)

// Context returns a copy of parent that is cancelled when one of sigs
// arrives, and a stop function that cancels it. As with signal.NotifyContext,
// the signals stay caught once the first one has arrived, so a second Ctrl-C
// during clean-up does not kill the process.
func Context(parent context.Context, sigs ...os.Signal) (context.Context, context.CancelFunc) {
	inner, cancel := context.WithCancel(parent)
	ctx := &signalContext{Context: inner, ready: make(chan struct{})}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, sigs...)
		close(ctx.ready)
		select {
		case <-ch:
			cancel()
		case <-inner.Done():
			signal.Stop(ch)
		}
	}()
	return ctx, cancel
}

// signalContext is the inner cancelable context whose Done waits for the
// handler. Value, Err and Deadline are the inner context's, and Done returns
// the inner context's channel, so the context package still recognises it as
// a plain cancelable parent and derived contexts cost no extra goroutine.
type signalContext struct {
	context.Context
	ready chan struct{}
}

func (c *signalContext) Done() <-chan struct{} {
	<-c.ready
	return c.Context.Done()
}
