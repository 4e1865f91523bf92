package transport

import (
	"net/url"
	"strings"
)

// redacted replaces secret values.
const redacted = "[REDACTED]"

// secretParams are OAuth 2.0 / OIDC parameters whose values are credentials
// or can be exchanged for them. state, nonce and user_code are not secret
// (the user is shown the user code) and stay readable for debugging.
var secretParams = map[string]bool{
	"code":          true,
	"code_verifier": true,
	"device_code":   true,
	"id_token_hint": true,
	"assertion":     true,
	"api_key":       true,
}

// isSecretParam reports whether a parameter's value must not be logged.
// Beyond the list, any *token, *secret, *password or *assertion parameter
// (access_token, subject_token, client_secret, client_assertion, …) is
// covered, so that a new grant type does not leak by default.
func isSecretParam(name string) bool {
	n := strings.ToLower(name)
	if secretParams[n] {
		return true
	}
	return strings.HasSuffix(n, "token") || strings.HasSuffix(n, "assertion") ||
		strings.Contains(n, "secret") || strings.Contains(n, "password")
}

// Redact returns rawURL with the values of secret query (and fragment)
// parameters replaced by [REDACTED] and any password in the user info
// masked, for logs and error messages. Everything else is kept as written.
// A string that does not parse as a URL is replaced whole, since there is no
// telling where a secret might be in it.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "[unparsable URL " + redacted + "]"
	}
	return redactURL(u)
}

func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.ForceQuery = "", false
	c.Fragment, c.RawFragment = "", ""
	s := c.Redacted() // masks the password
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + redactQuery(u.RawQuery)
	}
	// Implicit and hybrid flows return tokens in the fragment; it is never
	// sent over HTTP, but Redact is also used for URLs shown to the user.
	if frag := u.EscapedFragment(); frag != "" {
		s += "#" + redactQuery(frag)
	}
	return s
}

// redactQuery redacts an encoded query string in place, keeping the order,
// encoding and separators of everything that is not secret. Both & and ; are
// treated as separators because some servers split on either.
func redactQuery(q string) string {
	var b strings.Builder
	for q != "" {
		end := strings.IndexAny(q, "&;")
		seg, sep := q, ""
		if end >= 0 {
			seg, sep, q = q[:end], q[end:end+1], q[end+1:]
		} else {
			q = ""
		}
		if name, _, ok := strings.Cut(seg, "="); ok && isSecretParam(unescapeName(name)) {
			seg = name + "=" + redacted
		}
		b.WriteString(seg)
		b.WriteString(sep)
	}
	return b.String()
}

// unescapeName decodes a parameter name so that "co%64e" is seen as "code".
func unescapeName(name string) string {
	if n, err := url.QueryUnescape(name); err == nil {
		return n
	}
	return name
}
