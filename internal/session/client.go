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

// Option changes how the authenticated client answers a refusal.
type Option func(*bearer)

// NoRenewOn401 returns a 401 as it is, without renewing the token and
// retrying, when the token sent has a known lifetime: it was valid by
// hello's clock (it is renewed first when it is expiring), and the
// provider measures that lifetime from its own issuance, as hello does
// from the answer's expires_in, so a skewed clock between them cannot make
// them disagree on expiry. Such a 401 comes from an endpoint that does not
// take the token (RFC 8707 resource indicators make it an access token for
// the API alone, refused at userinfo): renewing would only spend, and
// rotate, a refresh token to be refused again. The Bearer error
// (invalid_token) cannot tell expiry from audience, and the description is
// text, so neither is read. A token without expires_in may have expired by
// the provider's rules unseen: it is still renewed once.
func NoRenewOn401() Option { return func(b *bearer) { b.final401 = true } }

// ErrOtherOrigin refuses to send the bearer token to a server it is not for.
var ErrOtherOrigin = errors.New("refusing to send the access token to another origin")

// Client returns a copy of base whose requests carry the session's access
// token, renewed first when it is expiring. A 401 renews the token once and
// retries the request once (when its body can be replayed); a second 401 is
// returned as it is, to be reported as a fresh token refused. With a
// non-empty origin ("https://api.example.com"), the token is only ever sent
// there: a request anywhere else, redirects included, fails with
// ErrOtherOrigin. Options change the answer to a refusal (NoRenewOn401).
func Client(base *http.Client, src Tokens, origin string, opts ...Option) *http.Client {
	c := *base
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	b := &bearer{next: next, src: src, origin: origin}
	for _, o := range opts {
		o(b)
	}
	c.Transport = b
	return &c
}

type bearer struct {
	next   http.RoundTripper
	src    Tokens
	origin string
	// final401 returns a 401 without renewing the token (NoRenewOn401).
	final401 bool
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
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (b.final401 && !t.Expiry.IsZero()) {
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
