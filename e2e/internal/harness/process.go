package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// Result is what one run of a program did.
type Result struct {
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
}

// Run runs the program name with env in dir to completion, for two
// minutes at most, reading stdin (nil: none). An error means it could not
// run; a non-zero exit is a Result like any other.
func Run(name string, env []string, dir string, stdin io.Reader, args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir, cmd.Stdin = env, dir, stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code, err := ExitCode(cmd.Run())
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: code}, err
}

// Process is a program still running (a login waiting for its browser),
// whose output the test reads while it is written.
type Process struct {
	Cmd            *exec.Cmd
	Stdout, Stderr *Buffer
	// Stdin is the process's input, open until it exits (a pasted
	// redirect is written here).
	Stdin io.WriteCloser
	// Done receives the Result once the process has ended; whoever takes
	// it early puts it back.
	Done chan Result
}

// Start starts the program name with env in dir. The caller kills it at
// the end of its test.
func Start(name string, env []string, dir string, args ...string) (*Process, error) {
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	p := &Process{Cmd: cmd, Stdout: &Buffer{}, Stderr: &Buffer{}, Done: make(chan Result, 1)}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p.Stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		code, _ := ExitCode(cmd.Wait())
		p.Done <- Result{Stdout: p.Stdout.String(), Stderr: p.Stderr.String(), Code: code}
	}()
	return p, nil
}

// WaitStderr waits until stderr matches re and returns the last submatch
// (the whole match when re has no group).
func (p *Process) WaitStderr(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		changed := p.Stderr.Changed()
		if m := re.FindStringSubmatch(p.Stderr.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case r := <-p.Done:
			p.Done <- r
			if m := re.FindStringSubmatch(r.Stderr); m != nil {
				return m[len(m)-1]
			}
			t.Fatalf("the program exited (%d) before printing %v; stderr:\n%s", r.Code, re, r.Stderr)
		case <-changed:
		case <-deadline.C:
			t.Fatalf("the program did not print %v in time; stderr:\n%s", re, p.Stderr)
		}
	}
}

// Wait waits for the process to end, for a minute at most.
func (p *Process) Wait(t testing.TB) Result {
	t.Helper()
	select {
	case r := <-p.Done:
		return r
	case <-time.After(60 * time.Second):
		_ = p.Cmd.Process.Kill()
		t.Fatalf("the program did not finish; stderr:\n%s", p.Stderr)
	}
	return Result{}
}
