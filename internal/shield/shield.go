// Package shield keeps a request whose answer must not be thrown away from
// being cut short by a cancellation, and only that request: a refresh
// with rotation spends the refresh token the moment the provider reads
// it, so its answer holds the session. The work that follows the answer
// (verifying an ID token, fetching keys) is not worth a wait once the
// person asked to stop, so the one who receives the answer resumes the
// original context for it.
package shield

import (
	"context"
	"sync/atomic"
)

type key struct{}

type hold struct {
	parent  context.Context
	resumed atomic.Bool
}

// Hold returns a context that the cancellation of ctx does not end, with
// ctx's values and deadline (a hold is bounded all the same), and the
// function that releases its resources.
func Hold(ctx context.Context) (context.Context, context.CancelFunc) {
	h := &hold{parent: ctx}
	held := context.WithValue(context.WithoutCancel(ctx), key{}, h)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(held, deadline)
	}
	return context.WithCancel(held)
}

// Resume ends the hold of ctx, once the answer is in: it returns the
// context given to Hold, which a cancellation ends again. Any other
// context is returned as it is.
func Resume(ctx context.Context) context.Context {
	h, ok := ctx.Value(key{}).(*hold)
	if !ok {
		return ctx
	}
	h.resumed.Store(true)
	return h.parent
}

// Holding reports whether held is a hold whose answer has not come yet.
func Holding(held context.Context) bool {
	h, ok := held.Value(key{}).(*hold)
	return ok && !h.resumed.Load()
}
