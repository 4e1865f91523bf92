// Package apiclient calls the Hello World API.
package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
)

// Kinds are the messages the API serves, in the order they are offered.
var Kinds = []string{"public", "protected", "admin"}

// NeedsToken reports whether kind requires an access token.
func NeedsToken(kind string) bool { return kind != "public" }

// ValidKind reports whether kind is one of Kinds.
func ValidKind(kind string) bool { return slices.Contains(Kinds, kind) }

// Client reaches the API at BaseURL.
type Client struct {
	BaseURL string
	// HTTP carries the requests: for protected and admin, the session's
	// authenticated client, which adds (and renews) the access token.
	HTTP *http.Client
	// Issuer and Audience are named when the API refuses a fresh token.
	Issuer, Audience string
	Now              func() time.Time
}

// Response is the API's successful answer.
type Response struct {
	Body []byte
}

// Text returns the "text" field of a message body.
func (r *Response) Text() (string, error) {
	var m struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil || m.Text == nil {
		return "", fmt.Errorf("the API answered with something that is not a message: check the API URL (%s)", snippet(r.Body))
	}
	return *m.Text, nil
}

// Error is an answer other than 200. It unwraps to the *httperr.Error with
// the status, which decides the exit code.
type Error struct {
	Kind     string
	BaseURL  string
	Issuer   string
	Audience string
	Err      *httperr.Error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	switch s := e.Err.StatusCode; {
	case s == http.StatusUnauthorized:
		// The authenticated client already renewed the token and retried:
		// this token is fresh, so logging in again would not help.
		aud := e.Audience
		if aud == "" {
			aud = "(none)"
		}
		return fmt.Sprintf("the API at %s refuses even a freshly issued access token: check that it accepts tokens from issuer %s for audience %s (%s)", e.BaseURL, e.Issuer, aud, e.Err.Detail())
	case s == http.StatusForbidden:
		return fmt.Sprintf("permission denied: the %s message needs the read:admin-messages permission (%s)", e.Kind, e.Err.Detail())
	case e.Err.Temporary():
		return fmt.Sprintf("the API at %s is not available right now: try again later (%s)", e.BaseURL, e.Err.Detail())
	case s == http.StatusNotFound:
		return fmt.Sprintf("the API at %s has no %s message: check the API URL (%s)", e.BaseURL, e.Kind, e.Err.Detail())
	default:
		return fmt.Sprintf("the API at %s refused the request for the %s message (%s)", e.BaseURL, e.Kind, e.Err.Detail())
	}
}

// maxBody bounds what we read from an API we may not control.
const maxBody = 1 << 20

// Message fetches /api/messages/{kind}.
func (c *Client) Message(ctx context.Context, kind string) (*Response, error) {
	target := strings.TrimSuffix(c.BaseURL, "/") + "/api/messages/" + kind
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("API request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) && !isTokenError(ue.Err) {
			return nil, fmt.Errorf("the API at %s could not be reached: check that it is running and the API URL is right (%w)", c.BaseURL, err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		return nil, &Error{Kind: kind, BaseURL: c.BaseURL, Issuer: c.Issuer, Audience: c.Audience,
			Err: httperr.FromResponse(httperr.API, resp, now())}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read the API's answer: %w", err)
	}
	return &Response{Body: body}, nil
}

// isTokenError reports an error from the authenticated client's session,
// which speaks for itself (and is not about reaching the API).
func isTokenError(err error) bool {
	var t interface{ TokenError() }
	return errors.As(err, &t)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
