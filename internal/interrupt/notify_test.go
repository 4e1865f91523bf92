package interrupt

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/exitcode"
)

// These send real signals to the test process, so they do not run in
// parallel. Without a handler, SIGINT or SIGTERM would end the process:
// reaching the end of a test proves that once Arm has returned, the
// handler is in place. After its first signal Notify lets go, so each test
// sends one.

func TestArmCatchesASignalOnceItHasReturned(t *testing.T) {
	ctx, stop := Notify(context.Background())
	defer stop()
	Arm(ctx)
	done := ctx.Done()
	select {
	case <-done:
		t.Fatal("cancelled before any signal")
	default:
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	if code, ok := ExitCode(ctx); code != 143 || !ok {
		t.Errorf("ExitCode = %d, %v; want 143, true", code, ok)
	}
}

func TestArmedSignalReachesDerivedContexts(t *testing.T) {
	ctx, stop := Notify(context.Background())
	defer stop()
	child, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	type key struct{}
	grandchild := context.WithValue(child, key{}, "v")
	Arm(grandchild)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-grandchild.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Ctrl-C did not reach a derived context")
	}
	if code, ok := ExitCode(grandchild); code != exitcode.Interrupted || !ok {
		t.Errorf("ExitCode of a derived context = %d, %v; want %d, true", code, ok, exitcode.Interrupted)
	}
}

func TestNotifyStopReleases(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	ctx, stop := Notify(parent)
	Arm(ctx)
	stop()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not release the context")
	}
	if _, ok := ExitCode(ctx); ok {
		t.Error("stop recorded a signal")
	}
	if parent.Err() != nil {
		t.Error("stop cancelled the parent")
	}
}
