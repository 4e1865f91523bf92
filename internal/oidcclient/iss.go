package oidcclient

import (
	"errors"
	"fmt"
	"net/url"
)

// ErrResponseIssuer is matched (errors.Is) by every *ResponseIssuerError.
var ErrResponseIssuer = errors.New("the authorization response names another issuer")

// ResponseIssuerError is an authorization response whose iss parameter
// (RFC 9207) is not the configured issuer, or that lacks one although the
// provider promised it. Its code must not be redeemed: the answer may come
// from another provider (a mix-up attack).
type ResponseIssuerError struct {
	Want string // the configured issuer
	Got  string // the response's iss; empty when it had none
}

func (e *ResponseIssuerError) Error() string {
	// %q: the value came from the browser's address, so it is quoted with
	// any control characters escaped before it reaches a terminal.
	if e.Got == "" {
		return fmt.Sprintf("the login answer was refused before its code was redeemed, because it does not name its issuer although %q promises to: run \"hello login\" again (RFC 9207: no iss)", e.Want)
	}
	return fmt.Sprintf("the login answer was refused before its code was redeemed, because it names the issuer %q instead of %q and may come from another provider: run \"hello login\" again (RFC 9207 iss mismatch)", e.Got, e.Want)
}

// Is makes errors.Is(err, ErrResponseIssuer) true.
func (e *ResponseIssuerError) Is(target error) bool { return target == ErrResponseIssuer }

// CheckResponseIssuer applies RFC 9207 §2.4 to an authorization response's
// query: when the provider advertises
// authorization_response_iss_parameter_supported, or the response carries
// iss anyway, iss must equal the issuer exactly (simple string comparison,
// no normalisation). A provider that neither advertises nor sends it (Auth0)
// passes. An error response without iss passes too, although RFC 9207 §2
// wants iss there as well: it carries no code to redeem, the login fails
// either way, and the provider's own error (access_denied, say) tells the
// person more than a missing iss would.
func CheckResponseIssuer(query url.Values, issuer string, advertised bool) error {
	got, present := query["iss"]
	switch {
	case present && (len(got) != 1 || got[0] != issuer):
		e := &ResponseIssuerError{Want: issuer}
		if len(got) > 0 {
			e.Got = got[0]
		}
		if e.Got == "" {
			e.Got = "(empty)"
		}
		return e
	case !present && advertised && query.Get("code") != "":
		return &ResponseIssuerError{Want: issuer}
	}
	return nil
}
