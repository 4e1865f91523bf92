package oidcclient

import (
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// Errors the command layer maps to exit codes and advice. Errors returned
// by this package wrap them, so test with errors.Is.
var (
	// ErrAccessDenied: the user or the provider refused the authorization.
	ErrAccessDenied = errors.New("access denied")
	// ErrInvalidGrant: the code or refresh token is expired, revoked or
	// already used — the session cannot be renewed; log in again.
	ErrInvalidGrant = errors.New("invalid grant: the session expired or was revoked")
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

// OAuthError is an OAuth 2.0 error response (RFC 6749 §5.2) or a non-2xx
// answer from a provider endpoint. It never holds the response body, which
// could echo request values.
type OAuthError struct {
	Code        string // "invalid_grant", "slow_down", …; empty when the body had none
	Description string // error_description, as the provider wrote it
	StatusCode  int    // HTTP status; 5xx means the provider is failing
}

func (e *OAuthError) Error() string {
	msg := "provider answered"
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Is lets errors.Is match the sentinels against the OAuth error code, so
// callers need not know which endpoint produced it.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrAccessDenied:
		return e.Code == "access_denied"
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrDeviceExpired:
		return e.Code == "expired_token"
	}
	return false
}

// Temporary reports whether the provider failed on its side (5xx) or asked
// to slow down, as opposed to refusing the request.
func (e *OAuthError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// mapOAuthError turns oauth2's *RetrieveError into *OAuthError and leaves
// everything else — network errors above all — as it is, so errors.As with
// *url.Error or net.Error keeps working.
func mapOAuthError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	oe := &OAuthError{Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		oe.StatusCode = re.Response.StatusCode
	}
	return oe
}
