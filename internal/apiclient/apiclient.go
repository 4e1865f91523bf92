// Package apiclient calls the Hello World API.
package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
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
	// Anonymous says that HTTP sends no token (the public message): a 401
	// then refuses no token at all, fresh or not.
	Anonymous bool
	Now       func() time.Time
}

// Response is the API's successful answer.
type Response struct {
	Body []byte
	// ContentType is the answer's Content-Type header.
	ContentType string
	// BaseURL and Kind say which request it answers, for messages.
	BaseURL, Kind string
}

// CheckJSON returns an *AnswerError unless the body is one JSON document.
func (r *Response) CheckJSON() error {
	if err := output.CheckJSON(r.Body, r.ContentType); err != nil {
		return &AnswerError{BaseURL: r.BaseURL, Kind: r.Kind, Err: err}
	}
	return nil
}

// Text returns the "text" field of a message body; a body that is not
// JSON, or has no text, is an *AnswerError.
func (r *Response) Text() (string, error) {
	if err := r.CheckJSON(); err != nil {
		return "", err
	}
	var m struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil || m.Text == nil {
		return "", &AnswerError{BaseURL: r.BaseURL, Kind: r.Kind, Err: ErrNoText}
	}
	return *m.Text, nil
}

// ErrNoText is a JSON answer without the message's "text" field.
var ErrNoText = errors.New(`the answer has no "text" field`)

// AnswerError is a successful (200) answer that hello cannot use: not
// JSON, larger than output.MaxBody, or without a message text. It unwraps
// to *output.NotJSONError, *output.TooLargeError or ErrNoText.
type AnswerError struct {
	BaseURL, Kind string
	Err           error
}

func (e *AnswerError) Unwrap() error { return e.Err }

func (e *AnswerError) Error() string {
	var (
		notJSON  *output.NotJSONError
		tooLarge *output.TooLargeError
	)
	path := "/api/messages/" + e.Kind
	switch {
	case errors.As(e.Err, &notJSON):
		return fmt.Sprintf("the API at %s answered %s with something that is not JSON (%s): check the API URL", e.BaseURL, path, notJSON.TypeName())
	case errors.As(e.Err, &tooLarge):
		return fmt.Sprintf("the API at %s answered %s with more than %s, more than hello accepts: check the API URL", e.BaseURL, path, tooLarge.Size())
	case errors.Is(e.Err, ErrNoText):
		return fmt.Sprintf("the API at %s answered %s without a message text: check the API URL, or see the whole answer with -o json", e.BaseURL, path)
	}
	return fmt.Sprintf("the API at %s answered %s with something hello cannot use (%v)", e.BaseURL, path, e.Err)
}

// Error is an answer other than 200. It unwraps to the *httperr.Error with
// the status, which decides the exit code.
type Error struct {
	Kind     string
	BaseURL  string
	Issuer   string
	Audience string
	// Anonymous is a request sent without a token.
	Anonymous bool
	Err       *httperr.Error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	switch s := e.Err.StatusCode; {
	case s == http.StatusUnauthorized && e.Anonymous:
		return fmt.Sprintf("the API at %s asks for a token for the %s message, which needs none, and hello sent none: check the API URL (%s)", e.BaseURL, e.Kind, e.Err.Detail())
	case s == http.StatusUnauthorized:
		// The authenticated client already renewed the token and retried:
		// this token is fresh, so logging in again would not help.
		aud := e.Audience
		if aud == "" {
			aud = "(none)"
		}
		return fmt.Sprintf("the API at %s refuses even a freshly issued access token: check that it accepts tokens from issuer %s for audience %s (%s)", e.BaseURL, e.Issuer, aud, e.Err.Detail())
	case s == http.StatusForbidden:
		return fmt.Sprintf("permission denied: the %s message needs the read:admin-messages permission, which your access token does not carry: ask an administrator to grant it, then run \"hello login\" again (%s)", e.Kind, e.Err.Detail())
	case e.Err.Temporary():
		return fmt.Sprintf("the API at %s is not available right now: try again later (%s)", e.BaseURL, e.Err.Detail())
	case s == http.StatusNotFound:
		return fmt.Sprintf("the API at %s has no %s message: check the API URL (%s)", e.BaseURL, e.Kind, e.Err.Detail())
	default:
		return fmt.Sprintf("the API at %s refused the request for the %s message (%s)", e.BaseURL, e.Kind, e.Err.Detail())
	}
}

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
		ue := (*url.Error)(nil)
		switch {
		case !errors.As(err, &ue) || isTokenError(ue.Err):
			return nil, err
		case errors.Is(err, session.ErrOtherOrigin):
			// The API answered, with a redirect elsewhere: it is running.
			return nil, fmt.Errorf("the API at %s redirected the request to another origin, where hello does not send the access token: check the API URL (%w)", c.BaseURL, ue.Err)
		}
		return nil, fmt.Errorf("the API at %s could not be reached: check that it is running and the API URL is right (%w)", c.BaseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		return nil, &Error{Kind: kind, BaseURL: c.BaseURL, Issuer: c.Issuer, Audience: c.Audience, Anonymous: c.Anonymous,
			Err: httperr.FromResponse(httperr.API, resp, now())}
	}
	// Never a cut copy: an answer over the limit is an error.
	body, err := output.ReadBody(resp.Body, output.MaxBody)
	var tooLarge *output.TooLargeError
	if errors.As(err, &tooLarge) {
		return nil, &AnswerError{BaseURL: c.BaseURL, Kind: kind, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("read the API's answer: %w", err)
	}
	return &Response{Body: body, ContentType: resp.Header.Get("Content-Type"), BaseURL: c.BaseURL, Kind: kind}, nil
}

// isTokenError reports an error from the authenticated client's session,
// which speaks for itself (and is not about reaching the API).
func isTokenError(err error) bool {
	var t interface{ TokenError() }
	return errors.As(err, &t)
}
