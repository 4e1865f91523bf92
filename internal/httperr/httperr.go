// Package httperr is the one error type for an HTTP answer that was not a
// success, from any server hello talks to: the provider's discovery, JWKS,
// token, userinfo and revocation endpoints, and the API. It carries the
// status and the OAuth error so that the command layer can map it to an
// exit code without reading message text.
package httperr

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hello-cli/hello/pkg/termsafe"
)

// What names the endpoint that answered, in words a person reads.
type What string

// The endpoints hello calls.
const (
	Discovery  What = "the provider's discovery document"
	JWKS       What = "the provider's signing keys"
	Token      What = "the provider's token endpoint"
	Device     What = "the provider's device authorization endpoint"
	UserInfo   What = "the provider's userinfo endpoint"
	Revocation What = "the provider's revocation endpoint"
	PAR        What = "the provider's pushed authorization request endpoint"
	API        What = "the API"
)

// Provider reports whether w is one of the provider's endpoints.
func (w What) Provider() bool { return w != API }

// MaxRetryAfter bounds a Retry-After a server asks for, so that no server can
// park hello for an hour.
const MaxRetryAfter = 30 * time.Second

// maxBody bounds how much of an error answer is read.
const maxBody = 64 << 10

// Error is a non-2xx answer. It never holds the whole body, which could echo
// request values.
type Error struct {
	What        What
	URL         string // the endpoint, without query
	StatusCode  int
	Code        string // OAuth "error" (RFC 6749 §5.2) or the Bearer error (RFC 6750 §3)
	Description string // OAuth error_description, or the API's "message"
	// RetryAfter is what the server asked to wait (Retry-After), at most
	// MaxRetryAfter; zero when it did not say.
	RetryAfter time.Duration
}

// Temporary reports whether the server failed on its side or asked to come
// back later: 5xx, 429, or the OAuth error temporarily_unavailable (which
// some providers send with status 400).
func (e *Error) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.Code == "temporarily_unavailable"
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Temporary() {
		fmt.Fprintf(&b, "%s is not available right now: try again later", e.What)
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (it asked to wait %s)", e.RetryAfter)
		}
	} else {
		fmt.Fprintf(&b, "%s refused the request", e.What)
	}
	b.WriteString(" (")
	b.WriteString(e.Detail())
	b.WriteString(")")
	return b.String()
}

// Detail is the protocol detail: "HTTP 400 Bad Request: invalid_grant: text".
func (e *Error) Detail() string {
	s := fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	// The server's words are kept on one line: a line break in them would
	// start a line that looks like hello's own.
	if e.Code != "" {
		s += ": " + termsafe.Line(e.Code)
	}
	if e.Description != "" {
		s += ": " + termsafe.Line(e.Description)
	}
	return s
}

// FromResponse reads a failed answer: the OAuth error body, the Bearer error
// of WWW-Authenticate, an API's {"message": …}, and Retry-After. It reads at
// most 64 KiB of the body and does not close it.
func FromResponse(what What, resp *http.Response, now time.Time) *Error {
	e := &Error{What: what, StatusCode: resp.StatusCode}
	if resp.Request != nil && resp.Request.URL != nil {
		u := *resp.Request.URL
		u.RawQuery, u.Fragment, u.User = "", "", nil
		e.URL = u.String()
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	e.fill(body, resp.Header, now)
	return e
}

// FromBody is FromResponse for a caller (such as x/oauth2) that already read
// the body.
func FromBody(what What, status int, h http.Header, body []byte, now time.Time) *Error {
	e := &Error{What: what, StatusCode: status}
	e.fill(body, h, now)
	return e
}

func (e *Error) fill(body []byte, h http.Header, now time.Time) {
	var m struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Message          string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil {
		e.Code, e.Description = m.Error, m.ErrorDescription
		if e.Description == "" {
			e.Description = m.Message
		}
	}
	if e.Code == "" && h != nil {
		e.Code = BearerError(h.Get("WWW-Authenticate"))
	}
	if h != nil {
		e.RetryAfter, _ = ParseRetryAfter(h.Get("Retry-After"), now)
	}
	if len(e.Description) > 300 {
		e.Description = e.Description[:300] + "…"
	}
}

// BearerError extracts error="…" from a WWW-Authenticate: Bearer header
// (RFC 6750 §3).
func BearerError(h string) string {
	_, params, ok := strings.Cut(h, " ")
	if !ok {
		return ""
	}
	for p := range strings.SplitSeq(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(k, "error") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// ParseRetryAfter understands both forms of RFC 9110's Retry-After, a number
// of seconds or an HTTP-date, capped at MaxRetryAfter.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = max(at.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}
