package interrupt

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/hello-cli/hello/internal/exitcode"
)

// fakeSignals is an installer that counts installations and hands the
// test the channel a real signal would be delivered on.
type fakeSignals struct {
	mu       sync.Mutex
	installs int
	ch       chan<- os.Signal
	released chan struct{}
}

func newFake() *fakeSignals { return &fakeSignals{released: make(chan struct{})} }

func (f *fakeSignals) installer() installer {
	return installer{
		install: func(ch chan<- os.Signal) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.installs++
			f.ch = ch
		},
		release: func(chan<- os.Signal) { close(f.released) }, // a second release panics
	}
}

func (f *fakeSignals) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.installs
}

// send delivers sig as the OS would to an installed handler.
func (f *fakeSignals) send(t *testing.T, sig os.Signal) {
	t.Helper()
	f.mu.Lock()
	ch := f.ch
	f.mu.Unlock()
	if ch == nil {
		t.Fatal("no handler installed")
	}
	ch <- sig
}

func TestSignalCancelsAnArmedContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  os.Signal
		want int
	}{
		{"Ctrl-C is 130", syscall.SIGINT, exitcode.Interrupted},
		{"SIGTERM is 143", syscall.SIGTERM, 143},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			ctx, stop := notify(context.Background(), f.installer())
			// A context derived from Notify's arms it, and hears the signal.
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			Arm(child)
			f.send(t, tt.sig)
			<-child.Done()
			<-f.released // the handler is released after the first signal
			if got, ok := ExitCode(child); got != tt.want || !ok {
				t.Errorf("ExitCode after %v = %d, %v; want %d, true", tt.sig, got, ok, tt.want)
			}
			stop() // releases nothing twice: a second release would panic
			if _, ok := ExitCode(ctx); !ok {
				t.Error("stop changed the recorded cause")
			}
		})
	}
}

func TestNotifyAloneInstallsNothing(t *testing.T) {
	t.Parallel()
	f := newFake()
	ctx, stop := notify(context.Background(), f.installer())
	if n := f.count(); n != 0 {
		t.Errorf("Notify installed the handler %d times before Arm", n)
	}
	stop()
	<-ctx.Done()
	if _, ok := ExitCode(ctx); ok {
		t.Error("stop recorded a signal")
	}
	select {
	case <-f.released:
		t.Error("stop released a handler that was never installed")
	default:
	}
}

func TestArmInstallsOnce(t *testing.T) {
	t.Parallel()
	f := newFake()
	ctx, stop := notify(context.Background(), f.installer())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { Arm(ctx) })
	}
	wg.Wait()
	Arm(ctx)
	if n := f.count(); n != 1 {
		t.Errorf("installed %d times, want once", n)
	}
	stop()
	<-f.released
	if ctx.Err() == nil {
		t.Error("stop did not release the context")
	}
	if _, ok := ExitCode(ctx); ok {
		t.Error("stop recorded a signal")
	}
}

func TestArmAfterStopIsANoOp(t *testing.T) {
	t.Parallel()
	f := newFake()
	ctx, stop := notify(context.Background(), f.installer())
	stop()
	Arm(ctx)
	if n := f.count(); n != 0 {
		t.Errorf("Arm after stop installed the handler %d times", n)
	}
}

func TestArmOnADoneContextIsANoOp(t *testing.T) {
	t.Parallel()
	f := newFake()
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, stop := notify(parent, f.installer())
	defer stop()
	cancelParent()
	Arm(ctx)
	if n := f.count(); n != 0 {
		t.Errorf("Arm on a cancelled context installed the handler %d times", n)
	}
}

func TestArmOnAForeignContextIsANoOp(t *testing.T) {
	t.Parallel()
	f := newFake()
	ctx, stop := notify(context.Background(), f.installer())
	defer stop()
	type key struct{}
	for _, foreign := range []context.Context{
		context.Background(),
		context.WithValue(context.Background(), key{}, "v"),
		context.WithoutCancel(context.Background()),
	} {
		Arm(foreign)
	}
	if n := f.count(); n != 0 {
		t.Errorf("arming other contexts installed this handler %d times", n)
	}
	Arm(context.WithoutCancel(ctx)) // still derived: values pass through
	if n := f.count(); n != 1 {
		t.Errorf("a context derived from Notify's installed %d times, want once", n)
	}
}

func TestStopReleasesAnArmedHandlerWithoutCancellingTheParent(t *testing.T) {
	t.Parallel()
	f := newFake()
	parent, cancelParent := context.WithCancel(context.Background())
	defer cancelParent()
	ctx, stop := notify(parent, f.installer())
	Arm(ctx)
	stop()
	<-f.released
	<-ctx.Done()
	if _, ok := ExitCode(ctx); ok {
		t.Error("stop recorded a signal")
	}
	if parent.Err() != nil {
		t.Error("stop cancelled the parent")
	}
	Arm(ctx)
	if n := f.count(); n != 1 {
		t.Errorf("Arm after stop installed again: %d installs", n)
	}
}

func TestSignalErrorNamesTheSignal(t *testing.T) {
	t.Parallel()
	for sig, want := range map[os.Signal]string{
		syscall.SIGINT:  "interrupted by Ctrl-C (SIGINT)",
		syscall.SIGTERM: "interrupted by SIGTERM",
		syscall.SIGHUP:  "interrupted by signal hangup",
	} {
		if got := (&SignalError{Signal: sig}).Error(); got != want {
			t.Errorf("SignalError{%v} = %q, want %q", sig, got, want)
		}
	}
}
