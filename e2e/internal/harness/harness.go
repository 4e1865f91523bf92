// Package harness holds what both end-to-end suites (e2e against the
// sandbox, e2e/interop against an independent provider) need to run the real
// hello binary: building it, a clean environment, exit codes, and an output
// buffer a test can read while the process still writes.
package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/hello-cli/hello/internal/iostreams"
)

// MustRun reports whether a suite that needs an outside program (Chromium,
// dbus-daemon and gnome-keyring, script, Node.js and the interop provider)
// must fail, not skip, when it is missing: under CI, which installs them
// (.ci/run). CI is read as hello itself reads it, so that CI=false or CI=0
// on a developer's machine skips like an unset CI.
func MustRun(ci string) bool { return iostreams.IsCI(ci) }

// Build compiles the hello module rooted at moduleDir into the binary out.
// The compiler's output goes to the test run's stderr.
func Build(out, moduleDir string) error {
	build := exec.Command("go", "build", "-o", out, moduleDir)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build hello: %w", err)
	}
	return nil
}

// CleanEnv is a minimal environment rooted at home: nothing from the
// developer's machine (their real cache, config or CI variables) leaks into
// the run.
func CleanEnv(home string) []string {
	return []string{
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config-home"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"),
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + os.TempDir(),
	}
}

// ExitCode is the exit code of a process whose Run or Wait returned err:
// 0 for nil, the code for an *exec.ExitError. Any other error means the
// process could not be run, and is returned.
func ExitCode(err error) (int, error) {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	return 0, err
}

// Buffer is a bytes.Buffer safe for a writing process and a reading test,
// which can wait for the next write instead of polling.
type Buffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	notify chan struct{}
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notify != nil {
		close(b.notify)
		b.notify = nil
	}
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Changed returns a channel closed on the next write.
func (b *Buffer) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notify == nil {
		b.notify = make(chan struct{})
	}
	return b.notify
}
