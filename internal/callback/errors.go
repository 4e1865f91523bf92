package callback

import (
	"errors"
	"fmt"
)

// ErrTimeout reports that no callback arrived within Options.Timeout.
var ErrTimeout = errors.New("timed out waiting for the browser to finish the login")

// PortInUseError reports that the callback port is taken, most often by
// another hello login still waiting.
type PortInUseError struct {
	Port int
	Err  error // the listen error, for errors.Is/As
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d is busy (another hello login?): choose another with --port", e.Port)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// CallbackError is an error the provider sent to the callback
// (RFC 6749 §4.1.2.1), e.g. access_denied when the user declined.
type CallbackError struct {
	Code        string
	Description string
}

func (e *CallbackError) Error() string {
	if e.Description == "" {
		return "provider refused the login: " + e.Code
	}
	return fmt.Sprintf("provider refused the login: %s: %s", e.Code, e.Description)
}
