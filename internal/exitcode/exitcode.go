// Package exitcode defines hello's exit codes and the error type that
// carries one. Errors are mapped to codes in one place, the command root.
package exitcode

import (
	"fmt"
)

// The documented exit codes (README, `hello --help`).
const (
	OK          = 0   // success
	Failure     = 1   // any other failure
	Usage       = 2   // unknown command, bad flag or argument, bad configuration
	Unavailable = 3   // provider or API unreachable, timed out, or answered 5xx
	NoSession   = 4   // not logged in, or the session cannot be used or renewed
	Forbidden   = 5   // permission denied (HTTP 403)
	Interrupted = 130 // Ctrl-C: 128 + SIGINT, as shells expect
)

// Error is an error with the exit code it should end the process with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New attaches code to err.
func New(code int, err error) error { return &Error{Code: code, Err: err} }

// Newf is New with a formatted message.
func Newf(code int, format string, a ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, a...)}
}

// Help is the exit code table as shown in `hello --help` and the README.
const Help = `Exit codes:
    0  success
    1  any other failure
    2  usage: unknown command, bad flag, bad argument, bad configuration
    3  the provider or the API is unreachable, timed out, or answered 5xx
    4  not logged in, or the session cannot be used or renewed
    5  permission denied (HTTP 403), e.g. messages admin without read:admin-messages
  130  interrupted (Ctrl-C; 143 for SIGTERM)`
