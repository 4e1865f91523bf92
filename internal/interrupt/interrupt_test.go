package interrupt

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// Not parallel: the tests send signals to their own process. SIGUSR1 and
// SIGUSR2 stand in for SIGINT so that a failure cannot look like Ctrl-C to
// the test runner; without a handler either signal would end the process,
// so reaching the end of a test proves the handler was in place.

func TestSignalCancels(t *testing.T) {
	ctx, stop := Context(context.Background(), syscall.SIGUSR1)
	defer stop()
	done := ctx.Done() // waits until the handler is installed
	select {
	case <-done:
		t.Fatal("cancelled before any signal")
	default:
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not cancel the context")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", ctx.Err())
	}
}

func TestDerivedContextsSeeTheSignal(t *testing.T) {
	ctx, stop := Context(context.Background(), syscall.SIGUSR2)
	defer stop()
	child, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	type key struct{}
	grandchild := context.WithValue(child, key{}, "v")
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	select {
	case <-grandchild.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not reach a derived context")
	}
	if !errors.Is(context.Cause(grandchild), context.Canceled) {
		t.Errorf("Cause = %v, want context.Canceled", context.Cause(grandchild))
	}
}

func TestStopCancels(t *testing.T) {
	parentCtx, parentCancel := context.WithCancel(context.Background())
	defer parentCancel()
	ctx, stop := Context(parentCtx, syscall.SIGUSR1)
	stop()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not cancel the context")
	}
	if parentCtx.Err() != nil {
		t.Error("stop cancelled the parent")
	}
}

func TestParentCancels(t *testing.T) {
	parentCtx, parentCancel := context.WithCancel(context.Background())
	ctx, stop := Context(parentCtx, syscall.SIGUSR1)
	defer stop()
	parentCancel()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the parent did not cancel the context")
	}
}
