package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
)

// This file connects the scripting commands (exec, api, token --format,
// --min-ttl) to the session: the only place they touch it.

// minTTLFlag declares --min-ttl on cmd.
func minTTLFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "min-ttl", 0, "renew the access token first unless it stays valid at least this long (e.g. 10m)")
}

// checkMinTTL validates a --min-ttl value.
func checkMinTTL(d time.Duration) error {
	if d < 0 {
		return exitcode.Newf(exitcode.Usage, "bad --min-ttl %s: expected a positive duration such as 10m", d)
	}
	return nil
}

// errMinTTL is a session that cannot give a token for as long as asked.
type errMinTTL struct {
	want, got time.Duration
}

func (e *errMinTTL) Error() string {
	return fmt.Sprintf("the session cannot provide a token valid for %s: a renewed token is valid for only %s; ask for less with --min-ttl, or change the token lifetime at the provider", e.want, e.got.Round(time.Second))
}

// tokenWithin returns a usable session entry whose access token stays valid
// at least minTTL from now, renewing it once when less remains. A provider
// that issues shorter-lived tokens makes that exit 4.
func tokenWithin(ctx context.Context, f *Factory, minTTL time.Duration) (*session.Manager, *tokencache.Entry, error) {
	mgr, e, err := requireSession(ctx, f)
	if err != nil || minTTL <= 0 || remaining(e, f.Now()) >= minTTL {
		return mgr, e, err
	}
	// Naming the current token as stale forces one renewal, unless another
	// process has already replaced it.
	e, err = mgr.Token(ctx, e.AccessToken)
	if err != nil {
		return nil, nil, err
	}
	if left := remaining(e, f.Now()); left < minTTL {
		return nil, nil, exitcode.New(exitcode.NoSession, &errMinTTL{want: minTTL, got: left})
	}
	return mgr, e, nil
}

// remaining is how long e's access token stays valid; a token without an
// expiry counts as lasting for ever, as golang.org/x/oauth2 takes it.
func remaining(e *tokencache.Entry, now time.Time) time.Duration {
	if e.Expiry.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return e.Expiry.Sub(now)
}

// authorizedClient returns an HTTP client that sends the session's access
// token (valid for at least minTTL) and, when the API answers 401, renews
// it once and retries once.
func authorizedClient(ctx context.Context, f *Factory, minTTL time.Duration) (*http.Client, error) {
	mgr, e, err := tokenWithin(ctx, f, minTTL)
	if err != nil {
		return nil, err
	}
	hc, err := f.HTTPClient()
	if err != nil {
		return nil, err
	}
	c := *hc
	c.Transport = &bearerRetry{base: hc.Transport, mgr: mgr, token: e.AccessToken}
	return &c, nil
}

// bearerRetry adds the bearer token; on a 401 it renews the token once and
// sends the request again (its body replayed through GetBody).
type bearerRetry struct {
	base  http.RoundTripper
	mgr   *session.Manager
	token string
	retry bool // a 401 was already retried: never loop
}

func (t *bearerRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(withBearer(req, t.token))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || t.retry || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	t.retry = true
	e, err := t.mgr.Token(req.Context(), t.token)
	if err != nil {
		return resp, nil // the API's own 401 says more than a failed renewal
	}
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	resp.Body.Close()
	t.token = e.AccessToken
	return base.RoundTrip(withBearer(again, t.token))
}

func withBearer(req *http.Request, token string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// childExit is a command run by hello exec that ended with a non-zero
// code: hello exits with it and prints nothing, the command spoke for itself.
type childExit struct{ code int }

func (e *childExit) Error() string { return fmt.Sprintf("the command exited with code %d", e.code) }

// silentCode returns the code of an error that must not be printed.
func silentCode(err error) (int, bool) {
	var ce *childExit
	if errors.As(err, &ce) {
		return ce.code, true
	}
	return 0, false
}
