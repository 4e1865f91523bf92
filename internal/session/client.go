package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/hello-cli/hello/internal/token"
)

// Tokens is what the authenticated client needs of a session; *Session is
// one, and tests use doubles.
type Tokens interface {
	Token(ctx context.Context, w Want) (*token.Token, error)
}

// TokenError is a failure to get a token inside the authenticated client.
// net/http wraps it in a *url.Error naming the request; the command layer
// unwraps it with errors.As to print the session's own message.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// TokenError marks the type for packages that cannot import this one.
func (e *TokenError) TokenError() {}

// ErrOtherOrigin refuses to send the bearer token to a server it is not for.
var ErrOtherOrigin = errors.New("refusing to send the access token to another origin")

// Client returns a copy of base whose requests carry the session's access
// token, renewed first when it is expiring. A 401 renews the token once and
// retries the request once (when its body can be replayed); a second 401 is
// returned as it is, to be reported as a fresh token refused. With a
// non-empty origin ("https://api.example.com"), the token is only ever sent
// there: a request anywhere else, redirects included, fails with
// ErrOtherOrigin.
func Client(base *http.Client, src Tokens, origin string) *http.Client {
	c := *base
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &bearer{next: next, src: src, origin: origin}
	return &c
}

type bearer struct {
	next   http.RoundTripper
	src    Tokens
	origin string
}

// Origin is scheme://host[:port] of u, for Client.
func Origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if b.origin != "" && Origin(req.URL) != b.origin {
		closeBody(req)
		return nil, fmt.Errorf("%w: %s is not %s", ErrOtherOrigin, Origin(req.URL), b.origin)
	}
	ctx := req.Context()
	t, err := b.src.Token(ctx, Want{})
	if err != nil {
		closeBody(req)
		return nil, &TokenError{Err: err}
	}
	resp, err := b.next.RoundTrip(withToken(req, t.AccessToken))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	retry, ok := rewind(req)
	if !ok {
		return resp, nil
	}
	// The server no longer honours the token (revoked, or the server
	// restarted with new keys): renew it once, as another process may
	// already have done.
	fresh, err := b.src.Token(ctx, Want{Stale: t.AccessToken})
	if err != nil {
		_ = resp.Body.Close()
		return nil, &TokenError{Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return b.next.RoundTrip(withToken(retry, fresh.AccessToken))
}

func withToken(req *http.Request, tok string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// rewind returns req with a fresh body for a second attempt.
func rewind(req *http.Request) (*http.Request, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
