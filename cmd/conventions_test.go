package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/iostreams"
)

// TestConventions covers what a shell user expects of any CLI: --version,
// a plain usage error for an unknown completion shell, and help with no
// arguments even when the configuration is broken.
func TestConventions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		stdout     string
		stderr     string
		quietError bool
	}{
		{name: "--version", args: []string{"--version"}, code: 0, stdout: "hello "},
		{name: "--version as JSON", args: []string{"--version", "-o", "json"}, code: 0, stdout: `"version":`},
		{name: "unknown completion shell", args: []string{"completion", "tcsh"}, code: 2,
			stderr: `hello: cannot complete for the shell "tcsh": choose bash, zsh, fish or powershell`},
		{name: "bare hello shows help despite a bad config", args: []string{}, env: map[string]string{"HELLO_ISSUER": "ftp://nope"},
			code: 0, stdout: "Usage:", quietError: true},
		{name: "version despite a bad config", args: []string{"--version"}, env: map[string]string{"HELLO_ISSUER": "ftp://nope"},
			code: 0, stdout: "hello ", quietError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, errOut := iostreams.Test()
			home := t.TempDir()
			f := &Factory{
				IO: io,
				Config: config.Loader{
					Getenv: func(k string) (string, bool) {
						v, ok := tt.env[k]
						return v, ok
					},
					WorkDir:    t.TempDir(),
					ConfigHome: filepath.Join(home, "config"),
				},
				Now:            time.Now,
				CacheDir:       func() (string, error) { return filepath.Join(home, "cache"), nil },
				CanOpenBrowser: func() bool { return false },
			}
			code := ExecuteArgs(t.Context(), f, tt.args)
			if code != tt.code {
				t.Fatalf("hello %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), code, tt.code, out, errOut)
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout %q lacks %q", out, tt.stdout)
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderr)
			}
			if tt.quietError && errOut.Len() != 0 {
				t.Errorf("stderr not empty: %q", errOut)
			}
		})
	}
}

// TestInterruptedExitCode: a run cut short by a signal exits 128 + the
// signal; an error that is not the cancellation keeps its own code.
func TestInterruptedExitCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		cause error
		err   error
		want  int
	}{
		{"Ctrl-C", &interrupt.SignalError{Signal: syscall.SIGINT}, fmt.Errorf("wait for the browser: %w", context.Canceled), 130},
		{"SIGTERM", &interrupt.SignalError{Signal: syscall.SIGTERM}, context.Canceled, 143},
		// net/http ends a cut-short request with the context's cause.
		{"SIGTERM during a request", &interrupt.SignalError{Signal: syscall.SIGTERM}, fmt.Errorf("the token endpoint could not be reached (Post: %w)", &interrupt.SignalError{Signal: syscall.SIGTERM}), 143},
		{"a child's own code after the signal", &interrupt.SignalError{Signal: syscall.SIGTERM}, exitcode.Newf(42, "child exited 42"), 42},
		{"cancelled without a signal", context.Canceled, context.Canceled, exitcode.Failure},
	} {
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(tt.cause)
		if got := exitCode(ctx, tt.err); got != tt.want {
			t.Errorf("%s: exit code %d, want %d", tt.name, got, tt.want)
		}
		if _, signalled := tt.cause.(*interrupt.SignalError); signalled && tt.want >= 128 {
			if got := message(ctx, tt.err); got != "interrupted" {
				t.Errorf("%s: message %q, want \"interrupted\"", tt.name, got)
			}
		}
	}
}
