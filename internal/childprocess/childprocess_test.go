package childprocess

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The test binary doubles as the child: with HELLO_TEST_CHILD set it acts
// out one behaviour instead of running the tests.
func TestMain(m *testing.M) {
	if mode, ok := os.LookupEnv("HELLO_TEST_CHILD"); ok {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

func child(mode string) int {
	switch {
	case mode == "argv":
		// Everything the child can see about how it was started.
		fmt.Printf("args=%q\n", os.Args[1:])
		fmt.Printf("SECRET=%s\n", os.Getenv("SECRET"))
		fmt.Printf("KEEP=%s\n", os.Getenv("KEEP"))
		return 0
	case mode == "cat":
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			return 1
		}
		fmt.Fprintln(os.Stderr, "to stderr")
		return 0
	case strings.HasPrefix(mode, "exit "):
		n, _ := strconv.Atoi(strings.TrimPrefix(mode, "exit "))
		return n
	case mode == "trap":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
		fmt.Println("ready")
		s := <-ch
		fmt.Printf("got %v\n", s)
		return 42
	case mode == "die":
		// Default disposition: SIGTERM ends the process.
		fmt.Println("ready")
		select {}
	}
	return 99
}

// self returns a Command that runs the test binary as a child in mode.
func self(t *testing.T, mode string) Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Command{
		Name: exe,
		Env:  append(os.Environ(), "HELLO_TEST_CHILD="+mode),
		// Tests never touch the process's real signal handlers.
		Signals:             make(chan os.Signal),
		DeliveredByTerminal: func(os.Signal) bool { return false },
	}
}

func TestSecretOnlyInEnvironment(t *testing.T) {
	t.Parallel()
	c := self(t, "argv")
	c.Args = []string{"one", "two words"}
	c.Env = append(c.Env, "SECRET=stale", "KEEP=kept")
	c.Set = []Var{{"SECRET", "s3cr3t-token"}}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, io.Discard
	code, err := Run(c)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	want := "args=[\"one\" \"two words\"]\nSECRET=s3cr3t-token\nKEEP=kept\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("child saw (-want +got):\n%s", diff)
	}
}

func TestMergeEnvReplacesOnce(t *testing.T) {
	t.Parallel()
	got := mergeEnv([]string{"A=1", "TOKEN=old", "B=2", "TOKEN=older"}, []Var{{"TOKEN", "new"}, {"URL", "u"}})
	want := []string{"A=1", "B=2", "TOKEN=new", "URL=u"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mergeEnv (-want +got):\n%s", diff)
	}
}

func TestStreamsPassThrough(t *testing.T) {
	t.Parallel()
	c := self(t, "cat")
	var out, errOut bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader("line one\nline two\n"), &out, &errOut
	if code, err := Run(c); err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if out.String() != "line one\nline two\n" || errOut.String() != "to stderr\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestExitCodeIsTheChilds(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 3, 4, 42, 255} {
		c := self(t, "exit "+strconv.Itoa(n))
		c.Stdout, c.Stderr = io.Discard, io.Discard
		code, err := Run(c)
		if err != nil || code != n {
			t.Errorf("child exiting %d: Run = %d, %v", n, code, err)
		}
	}
}

// startWithSignals runs a child in mode, waits for its "ready" line, sends
// it s through the forwarding loop, and returns the exit code and output.
func startWithSignals(t *testing.T, mode string, delivered bool, s ...os.Signal) (int, string) {
	t.Helper()
	c := self(t, mode)
	sigs := make(chan os.Signal, len(s))
	c.Signals = sigs
	c.DeliveredByTerminal = func(os.Signal) bool { return delivered }
	pr, pw := io.Pipe()
	c.Stdout, c.Stderr = pw, io.Discard
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := Run(c)
		pw.Close()
		done <- result{code, err}
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child did not get ready: %q", sc.Text())
	}
	for _, sig := range s {
		sigs <- sig
	}
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Run: %v", r.err)
	}
	return r.code, rest.String()
}

func TestSignalsForwarded(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX signals")
	}
	t.Parallel()
	for _, s := range []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		code, out := startWithSignals(t, "trap", false, s)
		if code != 42 || out != fmt.Sprintf("got %v\n", s) {
			t.Errorf("%v: exit %d, child printed %q", s, code, out)
		}
	}
}

// A signal death is reported as shells do: 128 + the signal's number.
func TestSignalDeathIs128PlusN(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX signals")
	}
	t.Parallel()
	code, _ := startWithSignals(t, "die", false, syscall.SIGTERM)
	if code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit %d, want %d", code, 128+int(syscall.SIGTERM))
	}
}

// A Ctrl-C the terminal already sent to the child is not sent again; the
// next signal still is.
func TestTerminalSignalNotDoubled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX signals")
	}
	t.Parallel()
	c := self(t, "trap")
	sigs := make(chan os.Signal, 2)
	c.Signals = sigs
	c.DeliveredByTerminal = func(s os.Signal) bool { return s == syscall.SIGINT }
	pr, pw := io.Pipe()
	c.Stdout, c.Stderr = pw, io.Discard
	done := make(chan int, 1)
	go func() {
		code, _ := Run(c)
		pw.Close()
		done <- code
	}()
	sc := bufio.NewScanner(pr)
	sc.Scan()
	sigs <- syscall.SIGINT  // the terminal's: swallowed
	sigs <- syscall.SIGTERM // the supervisor's: forwarded
	sc.Scan()
	if got := sc.Text(); got != "got terminated" {
		t.Errorf("child printed %q, want it to see SIGTERM first", got)
	}
	for sc.Scan() {
	}
	if code := <-done; code != 42 {
		t.Errorf("exit %d", code)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notExec := filepath.Join(dir, "script")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cmd string
		wantCode  int
		wantMsg   string
	}{
		{"not in PATH", "hello-no-such-command-xyz", CodeNotFound, `command "hello-no-such-command-xyz" not found`},
		{"missing path", filepath.Join(dir, "missing"), CodeNotFound, "not found"},
		{"not executable", notExec, CodeNotExecutable, "cannot run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(Command{Name: tt.cmd, Signals: make(chan os.Signal)})
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *StartError", err)
			}
			if se.ExitCode() != tt.wantCode || !strings.Contains(se.Error(), tt.wantMsg) {
				t.Errorf("code %d, message %q", se.ExitCode(), se.Error())
			}
		})
	}
}

func TestBadVariableName(t *testing.T) {
	t.Parallel()
	for _, n := range []string{"", "1X", "A-B", "A=B", "A B"} {
		if ValidName(n) {
			t.Errorf("ValidName(%q) = true", n)
		}
		if _, err := Run(Command{Name: "true", Set: []Var{{n, "v"}}, Signals: make(chan os.Signal)}); err == nil {
			t.Errorf("Run with variable %q: no error", n)
		}
	}
	for _, n := range []string{"HELLO_ACCESS_TOKEN", "_x", "Token2"} {
		if !ValidName(n) {
			t.Errorf("ValidName(%q) = false", n)
		}
	}
}
