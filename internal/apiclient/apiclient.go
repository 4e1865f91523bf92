// Package apiclient calls the Hello World API.
package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Kinds are the messages the API serves, in the order they are offered.
var Kinds = []string{"public", "protected", "admin"}

// NeedsToken reports whether kind requires an access token.
func NeedsToken(kind string) bool { return kind != "public" }

// ValidKind reports whether kind is one of Kinds.
func ValidKind(kind string) bool {
	for _, k := range Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Client reaches the API at BaseURL.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// Response is the API's answer, whatever its status.
type Response struct {
	StatusCode int
	Body       []byte
}

// Text returns the "text" field of a message body.
func (r *Response) Text() (string, error) {
	var m struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil || m.Text == nil {
		return "", fmt.Errorf("unexpected answer from the API: %s", snippet(r.Body))
	}
	return *m.Text, nil
}

// ErrorMessage returns the "message" field of an error body, or a snippet.
func (r *Response) ErrorMessage() string {
	var m struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.Body, &m); err == nil && m.Message != "" {
		return m.Message
	}
	return snippet(r.Body)
}

// maxBody bounds what we read from an API we may not control.
const maxBody = 1 << 20

// Message fetches /api/messages/{kind}; token is sent as a bearer token
// when not empty.
func (c *Client) Message(ctx context.Context, kind, token string) (*Response, error) {
	url := strings.TrimSuffix(c.BaseURL, "/") + "/api/messages/" + kind
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("API request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call the API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read the API's answer: %w", err)
	}
	return &Response{StatusCode: resp.StatusCode, Body: body}, nil
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
