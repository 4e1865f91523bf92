package transport

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
)

// Backoff between retries: full jitter (a random wait between zero and an
// exponentially growing ceiling) spreads out many clients that failed at the
// same moment, which is what overload answers call for.
const (
	backoffBase = 200 * time.Millisecond
	backoffCap  = 5 * time.Second
	// drainLimit bounds how much of a retried response is read so that its
	// connection can be reused; a bigger body is cheaper to drop.
	drainLimit = 64 << 10
)

// retryTransport retries idempotent requests without a body when the server
// says it is overloaded or a gateway failed (429, 502, 503, 504).
//
// Connection errors are deliberately not retried: an unreachable provider
// should give exit code 3 at once, not after a minute of backoff, and a
// request that failed mid-way may or may not have reached the server.
type retryTransport struct {
	next  http.RoundTripper
	max   int
	sleep func(context.Context, time.Duration) error
	rand  func() float64
	now   func() time.Time
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !retryable(req) {
		return t.next.RoundTrip(req)
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil || !retryableStatus(resp.StatusCode) || attempt >= t.max {
			return resp, err
		}
		wait := t.wait(resp, attempt)
		// A wait that would outlast the request's deadline (Client.Timeout
		// or the caller's) cannot end in success: hand back the real answer
		// now rather than a timeout error later.
		if deadline, ok := ctx.Deadline(); ok && t.now().Add(wait).After(deadline) {
			return resp, nil
		}
		drain(resp.Body)
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// retryable reports whether req can be sent again unchanged.
func retryable(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return false
	}
	return req.Body == nil || req.Body == http.NoBody
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// wait is how long to pause before retry number attempt+1: what the server
// asked for in Retry-After, else the jittered backoff.
func (t *retryTransport) wait(resp *http.Response, attempt int) time.Duration {
	if d, ok := httperr.ParseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
		return d
	}
	return backoff(attempt, t.rand())
}

// backoff returns r (in [0, 1)) times min(backoffCap, backoffBase * 2^attempt).
func backoff(attempt int, r float64) time.Duration {
	ceiling := backoffCap
	// Beyond 2^5 the base already exceeds the cap; stopping there also keeps
	// the shift from overflowing.
	if attempt < 5 {
		ceiling = min(backoffCap, backoffBase<<attempt)
	}
	if r < 0 || r >= 1 || r != r { // a broken Rand must not break the bound
		r = 0.5
	}
	return time.Duration(r * float64(ceiling))
}

// drain reads a little of body and closes it, so that the connection goes
// back to the pool instead of being torn down before the retry.
func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	_ = body.Close()
}
