package tokencache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockExcludesGoroutines(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}

	// The waiter has a Store of its own, as another goroutine would, and
	// says when it found the lock held; nothing here depends on timing.
	waiter := New(s.Dir)
	waiting := make(chan struct{})
	waiter.onWait = func() { close(waiting) }
	done := make(chan error, 1)
	go func() {
		unlock2, err := waiter.Lock(context.Background(), testKey)
		if err == nil {
			err = unlock2()
		}
		done <- err
	}()

	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("second locker returned (%v) while the first held the lock", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	// Bounded by the waiter's lock timeout: it gets the lock or fails.
	if err := <-done; err != nil {
		t.Fatalf("second locker after release: %v", err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
}

func TestLockOtherKeysIndependent(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	holdLock(t, s)
	// Another key's lock is taken at once: finding it held is the failure.
	s.onWait = func() { t.Error("Lock waited for another key's lock") }
	s.expire = expired
	other := testKey
	other.ClientID = "hello-ci"
	unlock2, err := s.Lock(context.Background(), other)
	if err != nil {
		t.Fatalf("lock for another key: %v", err)
	}
	_ = unlock2()
}

// expired stands in for time.After in a Store's expire: the timeout has
// already passed, so a held lock makes Lock give up at once.
func expired(time.Duration) <-chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}

// TestLockTimeout checks that Lock sets its timer for LockTimeout (or the
// default) and, while another holder keeps the lock, gives up with
// ErrLockTimeout when that timer fires; the test, not the clock, fires it.
func TestLockTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"set", 150 * time.Millisecond, 150 * time.Millisecond},
		{"zero means the default", 0, DefaultLockTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			holder := New(t.TempDir())
			holdLock(t, holder)

			s := New(holder.Dir)
			s.LockTimeout = tt.timeout
			asked := make(chan time.Duration, 1)
			fire := make(chan time.Time)
			s.expire = func(d time.Duration) <-chan time.Time {
				asked <- d
				return fire
			}
			done := make(chan error, 1)
			go func() {
				_, err := s.Lock(context.Background(), testKey)
				done <- err
			}()

			if d := <-asked; d != tt.want {
				t.Errorf("Lock set its timer for %v, want %v", d, tt.want)
			}
			// The other holder keeps the lock: only the timer can end the wait.
			close(fire)
			err := <-done
			if !errors.Is(err, ErrLockTimeout) {
				t.Fatalf("Lock = %v, want ErrLockTimeout", err)
			}
			for _, want := range []string{s.lockPath(testKey), "another hello process"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// TestLockContextCancelled cancels the context once the waiter is blocked;
// the timeout timer never fires, so only the context can end the wait.
func TestLockContextCancelled(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	holdLock(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.onWait = cancel
	s.expire = func(time.Duration) <-chan time.Time { return nil }
	_, err := s.Lock(ctx, testKey)
	if !errors.Is(err, ErrLockTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock = %v, want ErrLockTimeout and context.Canceled", err)
	}
}

// Environment of the helper process started by TestLockAcrossProcesses.
const (
	helperEnv    = "HELLO_TOKENCACHE_LOCK_HELPER"
	helperDirEnv = "HELLO_TOKENCACHE_LOCK_DIR"
)

// TestLockHelperProcess is not a real test: TestLockAcrossProcesses runs the
// test binary again with only this test selected, to hold the lock from
// another process. It prints "locked" and holds the lock until killed. It
// blocks reading its stdin, a pipe from the parent, rather than on a timer:
// nothing is guessed about how long the parent needs, and should the parent
// die first, the closed pipe ends the helper instead of leaving it behind.
func TestLockHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process only")
	}
	s := New(os.Getenv(helperDirEnv))
	if _, err := s.Lock(context.Background(), testKey); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// TestLockAcrossProcesses holds the lock in another process: Lock here
// finds it held and gives up when its timer fires, and once that process
// is dead the lock is free at once, released by the OS.
func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wait := sync.OnceValue(cmd.Wait)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = stdin.Close()
		_ = wait()
	})

	// A helper that fails exits, and the read ends with what it said.
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper said %q, want %q", line, "locked")
	}

	s := New(dir)
	found := false
	s.onWait = func() { found = true }
	s.expire = expired
	if _, err := s.Lock(context.Background(), testKey); !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("Lock while another process holds it = %v, want ErrLockTimeout", err)
	}
	if !found {
		t.Error("Lock did not find the lock held by the other process")
	}

	// The OS releases a dead process's lock: once the helper has been
	// reaped, the lock is taken without waiting.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = wait()
	s.onWait = func() { t.Error("lock still held after the helper died") }
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatalf("Lock after the helper died: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}

// holdLock takes testKey's lock in s for the rest of the test.
func holdLock(t *testing.T, s *Store) {
	t.Helper()
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unlock() })
}
