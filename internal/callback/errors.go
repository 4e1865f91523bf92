package callback

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hello-cli/hello/pkg/termsafe"
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

// Error says what happened and what to do in plain words, with the
// provider's own answer at the end.
func (e *CallbackError) Error() string {
	step := strings.TrimSuffix(e.NextStep(), ".")
	return e.Summary() + ": " + strings.ToLower(step[:1]) + step[1:] + " (" + e.protocol() + ")"
}

// Summary says in plain words what the provider's answer means.
func (e *CallbackError) Summary() string {
	switch e.Code {
	case "access_denied":
		return "the login was declined at the provider"
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "the provider wants you to sign in and approve hello again"
	case "temporarily_unavailable", "server_error":
		return "the provider could not handle the login just now"
	case "invalid_request", "invalid_scope", "unauthorized_client", "unsupported_response_type", "invalid_client":
		return "the provider refused hello's login request"
	}
	return "the provider refused the login"
}

// NextStep says what the person can do about it.
func (e *CallbackError) NextStep() string {
	switch e.Code {
	case "access_denied":
		return `To try again, run "hello login" and approve the request.`
	case "temporarily_unavailable", "server_error":
		return `Wait a moment, then run "hello login" again.`
	case "invalid_request", "invalid_scope", "unauthorized_client", "unsupported_response_type", "invalid_client":
		return `Check the client ID and audience hello uses ("hello status" shows them), then run "hello login" again.`
	}
	return `Run "hello login" to try again.`
}

// protocol is the provider's answer as sent: error code and description.
func (e *CallbackError) protocol() string {
	// On one line: a line break in the provider's words would start a
	// line that looks like hello's own.
	if e.Description == "" {
		return termsafe.Line(e.Code)
	}
	return termsafe.Line(e.Code + ": " + e.Description)
}
