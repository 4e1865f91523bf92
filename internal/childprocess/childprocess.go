// Package childprocess runs another program on hello's behalf, the way
// `hello exec` needs it: secrets handed over in the environment only (argv
// is readable by every user through ps and /proc), the standard streams
// passed through, signals forwarded, and the child's exit status returned as
// a shell would report it.
package childprocess

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
)

// Exit codes for a command that never ran, as POSIX shells, env(1) and
// timeout(1) report them, so `hello exec -- cmd` reads like `cmd` in a script.
const (
	CodeNotExecutable = 126
	CodeNotFound      = 127
)

// Var is one variable set in the child's environment.
type Var struct {
	Name, Value string
}

// Command describes a child process.
type Command struct {
	// Name is the program, looked up in PATH when it has no slash.
	Name string
	// Args are the arguments after the program name.
	Args []string
	// Env is the environment the child starts from, usually os.Environ().
	Env []string
	// Set are added to Env, replacing any variable of the same name. This is
	// the only way a secret reaches the child.
	Set []Var
	// Dir is the working directory; "" means hello's.
	Dir string
	// The standard streams. An *os.File is handed to the child as it is,
	// so a terminal stays a terminal for the child.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Signals overrides the signals hello receives, for tests; nil means
	// the real ones (see Forwarded).
	Signals <-chan os.Signal
	// DeliveredByTerminal overrides the check that a signal was already
	// sent by the terminal to the child as well; nil means the real check.
	DeliveredByTerminal func(os.Signal) bool
}

// StartError is a command that could not be started: not found, not
// executable. It is hello's failure, not the child's.
type StartError struct {
	Name string
	Err  error
}

func (e *StartError) Error() string {
	if errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, fs.ErrNotExist) {
		return fmt.Sprintf("command %q not found: check the name and your PATH", e.Name)
	}
	if errors.Is(e.Err, exec.ErrDot) {
		return fmt.Sprintf("command %q was found only in the current directory, which is not trusted: use ./%s", e.Name, e.Name)
	}
	return fmt.Sprintf("cannot run %q: check that it is a program you may execute (%v)", e.Name, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

// ExitCode is what a shell would exit with for this failure.
func (e *StartError) ExitCode() int {
	if errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, fs.ErrNotExist) {
		return CodeNotFound
	}
	return CodeNotExecutable
}

// ValidName reports whether name can be used as an environment variable:
// a portable name (POSIX: letters, digits and underscores, not starting with
// a digit). Checked by hand: a regexp would be compiled at every start-up.
func ValidName(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// Run starts c, forwards signals to it until it ends, and returns its exit
// code: its own, or 128+n when signal n killed it. err is non-nil only when
// the command could not be run at all (a *StartError) or waiting failed.
//
// Run deliberately takes no context: once the child runs, its lifetime is
// its own. An interrupt is passed on to the child, never turned into a kill.
func Run(c Command) (int, error) {
	if c.Name == "" {
		return 0, errors.New("no command given")
	}
	for _, v := range c.Set {
		if !ValidName(v.Name) {
			return 0, fmt.Errorf("bad environment variable name %q: use letters, digits and underscores", v.Name)
		}
	}
	cmd := exec.Command(c.Name, c.Args...)
	cmd.Env = mergeEnv(c.Env, c.Set)
	cmd.Dir = c.Dir
	cmd.SysProcAttr = endWithParent()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	if cmd.Err != nil {
		return 0, &StartError{Name: c.Name, Err: cmd.Err}
	}

	sigs := c.Signals
	if sigs == nil {
		// Registered before Start: a signal arriving in between must be
		// forwarded, not kill hello and orphan the child.
		ch := make(chan os.Signal, 8)
		signal.Notify(ch, Forwarded...)
		defer signal.Stop(ch)
		sigs = ch
	}
	delivered := c.DeliveredByTerminal
	if delivered == nil {
		delivered = deliveredByTerminal
	}

	if err := cmd.Start(); err != nil {
		return 0, &StartError{Name: c.Name, Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case err := <-done:
			return exitCode(cmd, err)
		case s := <-sigs:
			if !delivered(s) {
				// The child may have just exited: nothing to do then.
				_ = cmd.Process.Signal(s)
			}
		}
	}
}

// exitCode turns the result of Wait into a shell-style exit code.
func exitCode(cmd *exec.Cmd, err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		// The child ran, but copying a stream failed (a closed pipe).
		code := 0
		if cmd.ProcessState != nil {
			code = statusCode(cmd.ProcessState)
		}
		return code, fmt.Errorf("command %q: %w", cmd.Path, err)
	}
	return statusCode(exitErr.ProcessState), nil
}

// mergeEnv returns base with each of set replacing any variable of the same
// name (case-insensitively on Windows, where names are), added last.
func mergeEnv(base []string, set []Var) []string {
	same := func(a, b string) bool { return a == b }
	if runtime.GOOS == "windows" {
		same = strings.EqualFold
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		replaced := false
		for _, v := range set {
			if same(name, v.Name) {
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	for _, v := range set {
		out = append(out, v.Name+"="+v.Value)
	}
	return out
}
