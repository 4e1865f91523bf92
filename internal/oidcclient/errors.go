package oidcclient

import (
	"errors"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/httperr"
)

// Errors that do not come from an HTTP answer (those are *httperr.Error).
var (
	// ErrAccessDenied: the user or the provider refused the authorization.
	ErrAccessDenied = errors.New("the login was declined at the provider")
	// ErrDeviceExpired: the device code expired before the user approved it.
	ErrDeviceExpired = errors.New("the device code expired before the login was approved")
	// ErrNoRevocation: the provider advertises no revocation endpoint.
	ErrNoRevocation = errors.New("provider has no token revocation endpoint")
	// ErrNoDeviceFlow: the provider does not support the device grant.
	ErrNoDeviceFlow = errors.New("provider does not support the device authorization grant")
	// ErrNoUserInfo: the provider advertises no userinfo endpoint.
	ErrNoUserInfo = errors.New("provider has no userinfo endpoint")
	// ErrNoIDToken: the token response lacked the ID token a login needs.
	ErrNoIDToken = errors.New("provider returned no ID token")
	// ErrNoClientSecret: client credentials need a secret and none is set.
	ErrNoClientSecret = errors.New("the client credentials grant needs a client secret: set HELLO_CLIENT_SECRET or [AUTH0] CLIENT_SECRET")
)

// fromRetrieveError turns x/oauth2's *RetrieveError (device grant) into
// *httperr.Error and leaves everything else, network errors above all, as it
// is.
func (c *Client) fromRetrieveError(what httperr.What, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return err
	}
	e := httperr.FromBody(what, re.Response.StatusCode, re.Response.Header, re.Body, c.cfg.Now())
	if e.Code == "" {
		e.Code, e.Description = re.ErrorCode, re.ErrorDescription
	}
	return e
}

// refusal is a provider's refusal that errors.Is matches against a
// sentinel, in its own words.
type refusal struct {
	sentinel error
	err      error
}

func (r *refusal) Error() string   { return r.err.Error() }
func (r *refusal) Unwrap() []error { return []error{r.sentinel, r.err} }

// IsOAuthError reports whether err is an OAuth error answer with code.
func IsOAuthError(err error, code string) bool {
	var he *httperr.Error
	return errors.As(err, &he) && he.What.Provider() && he.Code == code
}
