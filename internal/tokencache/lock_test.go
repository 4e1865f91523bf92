package tokencache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
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
	s.LockTimeout = 100 * time.Millisecond
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	other := testKey
	other.ClientID = "hello-ci"
	unlock2, err := s.Lock(context.Background(), other)
	if err != nil {
		t.Fatalf("lock for another key: %v", err)
	}
	_ = unlock2()
}

func TestLockTimeout(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	s.LockTimeout = 150 * time.Millisecond
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	start := time.Now()
	_, err = s.Lock(context.Background(), testKey)
	elapsed := time.Since(start)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("Lock = %v, want ErrLockTimeout", err)
	}
	if elapsed < s.LockTimeout || elapsed > s.LockTimeout+2*time.Second {
		t.Errorf("gave up after %v, want about %v", elapsed, s.LockTimeout)
	}
	for _, want := range []string{s.lockPath(testKey), "another hello process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLockContextCancelled(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Lock(ctx, testKey)
	if !errors.Is(err, ErrLockTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock = %v, want ErrLockTimeout and context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v; the context should have ended the wait", d)
	}
}

// Environment of the helper process started by TestLockAcrossProcesses.
const (
	helperEnv    = "HELLO_TOKENCACHE_LOCK_HELPER"
	helperDirEnv = "HELLO_TOKENCACHE_LOCK_DIR"
)

// TestLockHelperProcess is not a real test: TestLockAcrossProcesses runs the
// test binary again with only this test selected, to hold the lock from
// another process. It prints "locked" and holds the lock until killed.
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
	time.Sleep(time.Minute) // killed long before
	os.Exit(0)
}

func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	go func() { _ = cmd.Wait(); close(exited) }()

	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "locked" {
			t.Fatalf("helper said %q, want %q", line, "locked")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not take the lock")
	}

	s := New(dir)
	s.LockTimeout = 300 * time.Millisecond
	start := time.Now()
	if _, err := s.Lock(context.Background(), testKey); !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("Lock while another process holds it = %v, want ErrLockTimeout", err)
	}
	if d := time.Since(start); d < s.LockTimeout || d > s.LockTimeout+2*time.Second {
		t.Errorf("gave up after %v, want about %v", d, s.LockTimeout)
	}

	// The OS releases a dead process's lock.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	s.LockTimeout = 5 * time.Second
	unlock, err := s.Lock(context.Background(), testKey)
	if err != nil {
		t.Fatalf("Lock after the helper died: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}
