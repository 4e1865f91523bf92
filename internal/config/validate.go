package config

import (
	"crypto/x509"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hello-cli/hello/internal/urlpolicy"
)

// checkURL accepts an absolute http(s) URL with a host and no query or
// fragment, and returns it unchanged: the issuer is compared byte for byte
// with the token's iss claim, so even a trailing slash matters.
func checkURL(v value) (string, error) {
	u, err := url.Parse(v.val)
	if err != nil {
		e := bad(v, "must be an absolute https:// URL")
		e.Err = err
		return "", e
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad(v, "must be an absolute https:// URL")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return "", bad(v, "must be an absolute https:// URL with a host")
	case u.User != nil:
		return "", bad(v, "must not contain a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v.val, "#"):
		return "", bad(v, "must not have a query or fragment")
	case u.Port() != "" && !validPort(u.Port()):
		return "", bad(v, "port must be between 1 and 65535")
	case !urlpolicy.Secure(u):
		// Tokens and codes would cross the network in clear text.
		return "", bad(v, "http:// is only allowed for loopback hosts; use https://")
	}
	return v.val, nil
}

// checkAPIURL is checkURL without trailing slashes, so callers can append
// "/api/messages/…" directly.
func checkAPIURL(v value) (string, error) {
	s, err := checkURL(v)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(s, "/"), nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// checkDomain accepts a bare host with an optional port, as Auth0 shows it
// ("dev-abc.us.auth0.com"). Anything URL-like belongs in ISSUER, where it is
// kept exactly as written.
func checkDomain(v value) (string, error) {
	const useIssuer = "must be a bare host name such as dev-abc.us.auth0.com; for a full URL set the issuer (--issuer, HELLO_ISSUER or [AUTH0] ISSUER) instead"
	d := v.val
	if d == "" || strings.ContainsAny(d, "/?#@\\ \t") {
		return "", bad(v, useIssuer)
	}
	u, err := url.Parse("https://" + d)
	if err != nil || u.Host != d || u.Hostname() == "" || (u.Port() != "" && !validPort(u.Port())) {
		return "", bad(v, useIssuer)
	}
	return d, nil
}

func checkClientID(v value) (string, error) {
	if v.val == "" {
		return "", bad(v, "must not be empty")
	}
	return v.val, nil
}

func checkOutput(v value) (string, error) {
	if v.val != OutputText && v.val != OutputJSON {
		return "", bad(v, `must be "text" or "json"`)
	}
	return v.val, nil
}

func checkTokenStorage(v value) (string, error) {
	s := strings.ToLower(v.val)
	if !slices.Contains(TokenStorages(), s) {
		return "", bad(v, `must be "auto", "keyring" or "file"`)
	}
	return s, nil
}

// checkCAFile resolves the CA file path and makes sure it holds at least one
// PEM certificate, so a typo is a configuration error now rather than a TLS
// failure later. A relative path in the config file is relative to that file,
// as users expect when they keep both side by side.
func (l Loader) checkCAFile(v value) (string, error) {
	if v.val == "" {
		return "", nil // --ca-file "" turns it off
	}
	p := v.val
	switch {
	case filepath.IsAbs(p):
	case v.file != "":
		p = filepath.Join(filepath.Dir(v.file), p)
	default:
		p = l.abs(p)
	}
	pem, err := os.ReadFile(p)
	if err != nil {
		e := bad(v, "cannot read the CA file")
		e.Err = err
		return "", e
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return "", bad(v, "must contain at least one PEM certificate")
	}
	return p, nil
}

// checkProvider accepts auto, auth0 or standard, in any case.
func checkProvider(v value) (string, error) {
	switch s := strings.ToLower(v.val); s {
	case ProviderAuto, ProviderAuth0, ProviderStandard:
		return s, nil
	}
	return "", bad(v, "expected auto, auth0 or standard")
}

// checkBool accepts the usual spellings of yes and no, as "true"/"false".
func checkBool(v value) (string, error) {
	switch strings.ToLower(v.val) {
	case "1", "true", "yes", "on":
		return "true", nil
	case "0", "false", "no", "off":
		return "false", nil
	}
	return "", bad(v, "expected true or false")
}
