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
		name string
		sig  os.Signal
		code int
		want int
	}{
		{"no signal keeps the code", nil, 1, 1},
		{"no signal, success", nil, 0, 0},
		{"Ctrl-C is 130", syscall.SIGINT, 1, exitcode.Interrupted},
		{"SIGTERM is 143", syscall.SIGTERM, 3, 143},
		{"a clean stop after the signal stays 0", syscall.SIGTERM, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ch := make(chan os.Signal, 1)
			stopped := make(chan struct{})
			ctx, w := watch(context.Background(), ch, func() { close(stopped) })
			if tt.sig != nil {
				ch <- tt.sig
				<-ctx.Done()
				<-stopped // the handler is released after the first signal
			}
			if got := w.ExitCode(tt.code); got != tt.want {
				t.Errorf("ExitCode(%d) after %v = %d, want %d", tt.code, tt.sig, got, tt.want)
			}
			w.Stop()
			if ctx.Err() == nil {
				t.Error("Stop did not release the context")
			}
		})
	}
}
