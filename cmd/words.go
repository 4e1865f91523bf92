package cmd

import (
	"errors"
	"fmt"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/oidcclient"
)

// reworded is an error told in other words: its message replaces the
// wrapped error's, which still decides the exit code.
type reworded struct {
	msg string
	err error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.err }

// clientAdvice says what to check when the provider does not accept the
// client: most often the built-in client ID, which only the sandbox knows,
// or a wrong secret for client credentials.
func (o *LoginOptions) clientAdvice(err error) error {
	var he *httperr.Error
	if !errors.As(err, &he) || !(oidcclient.IsOAuthError(err, "invalid_client") || oidcclient.IsOAuthError(err, "unauthorized_client")) {
		return err
	}
	isDefault := o.ClientIDSource == "default"
	var msg string
	switch {
	case o.ClientCredentials && isDefault:
		msg = fmt.Sprintf("the provider refused a machine login as the built-in client %q, which has no secret: set HELLO_CLIENT_ID to your machine client's ID", o.ClientID)
	case o.ClientCredentials:
		msg = fmt.Sprintf("the provider refused the client %q (from %s) with this secret: check HELLO_CLIENT_SECRET and the client ID", o.ClientID, o.ClientIDSource)
	case isDefault:
		msg = fmt.Sprintf("the provider does not know hello's built-in client ID %q, which only the sandbox has: set HELLO_CLIENT_ID (or --client-id) to your application's client ID", o.ClientID)
	default:
		msg = fmt.Sprintf("the provider does not accept the client ID %q (from %s): check it, or set HELLO_CLIENT_ID (or --client-id) to your application's client ID", o.ClientID, o.ClientIDSource)
	}
	return &reworded{msg: msg + " (" + he.Detail() + ")", err: err}
}
