package interrupt

import (
	"context"
	"os"
	"syscall"
	"testing"

	"github.com/hello-cli/hello/internal/exitcode"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sig    os.Signal
		want   int
		wantOK bool
	}{
		{"no signal", nil, 0, false},
		{"Ctrl-C is 130", syscall.SIGINT, exitcode.Interrupted, true},
		{"SIGTERM is 143", syscall.SIGTERM, 143, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ch := make(chan os.Signal, 1)
			released := make(chan struct{})
			ctx, stop := watch(context.Background(), ch, func() { close(released) })
			if tt.sig != nil {
				ch <- tt.sig
				<-ctx.Done()
				<-released // the handler is released after the first signal
			}
			if got, ok := ExitCode(ctx); got != tt.want || ok != tt.wantOK {
				t.Errorf("ExitCode after %v = %d, %v; want %d, %v", tt.sig, got, ok, tt.want, tt.wantOK)
			}
			stop()
			if ctx.Err() == nil {
				t.Error("stop did not release the context")
			}
			if _, ok := ExitCode(ctx); ok != tt.wantOK {
				t.Error("stop changed the recorded cause")
			}
		})
	}
}
