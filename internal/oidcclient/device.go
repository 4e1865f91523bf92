package oidcclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// deviceFallbackLifetime bounds polling when a provider omits the
// (required) expires_in, so a login can never poll forever.
const deviceFallbackLifetime = 15 * time.Minute

// DeviceLoginOptions configures DeviceLogin.
type DeviceLoginOptions struct {
	// Open opens verification_uri_complete in a browser when one can be
	// opened; nil or NoBrowser only prints the instructions.
	Open      func(url string) error
	NoBrowser bool
	// Stderr receives the verification URL and user code; io.Discard when nil.
	Stderr io.Writer
	// Terminal: Stderr is a terminal, so a live "Waiting for approval…"
	// line can count down the code's lifetime.
	Terminal bool
	// Timeout bounds the wait for approval (--timeout); zero waits until
	// the code expires or ctx ends.
	Timeout time.Duration
}

// DeviceLogin runs the device authorization grant (RFC 8628). Polling obeys
// the provider's interval and slow_down and stops at expires_in with
// ErrDeviceExpired, or when ctx ends.
func (c *Client) DeviceLogin(ctx context.Context, o DeviceLoginOptions) (*token.Token, error) {
	if !c.SupportsDevice() {
		return nil, ErrNoDeviceFlow
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	if err := c.canAuthenticate(); err != nil {
		return nil, err
	}
	conf := c.oauth2Config("", Scopes)
	// Auth0 takes the audience at the device authorization endpoint.
	da, err := conf.DeviceAuth(c.ctx(ctx), c.deviceParams()...)
	if err != nil {
		return nil, c.fromRetrieveError(httperr.Device, err)
	}
	if da.Expiry.IsZero() {
		da.Expiry = c.cfg.Now().Add(deviceFallbackLifetime)
	}

	// These URLs are shown to the person and opened in their browser, where
	// they type their password: no plain http to another machine.
	for _, u := range []string{da.VerificationURI, da.VerificationURIComplete} {
		if err := checkEndpoint("verification_uri", u); err != nil {
			return nil, fmt.Errorf("start device login: %w", err)
		}
	}
	// The provider chose these strings: shown, never obeyed.
	fmt.Fprintf(stderr, "To log in, open %s and enter the code %s\n", termsafe.Line(da.VerificationURI), termsafe.Line(da.UserCode))
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(stderr, "or open %s\n", termsafe.Line(da.VerificationURIComplete))
	}
	if o.Open != nil && !o.NoBrowser {
		target := da.VerificationURIComplete
		if target == "" {
			target = da.VerificationURI
		}
		// A browser that fails to open is no reason to stop: the user can
		// type the URL on any device.
		if err := o.Open(target); err != nil {
			fmt.Fprintf(stderr, "Could not open a browser (%v).\n", err)
		}
	}

	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, ErrLoginTimeout)
		defer cancel()
	}
	pctx, stopProgress := context.WithCancel(ctx)
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		DeviceProgress{W: stderr, Terminal: o.Terminal, Expiry: da.Expiry, Now: c.cfg.Now}.Run(pctx)
	}()
	tok, err := c.pollDevice(ctx, da)
	stopProgress()
	<-progressDone
	if err != nil {
		switch {
		case errors.Is(context.Cause(ctx), ErrLoginTimeout):
			return nil, fmt.Errorf("device login: %w", ErrLoginTimeout)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("device login: %w", ctx.Err())
		case errors.Is(err, ErrDeviceExpired):
			return nil, fmt.Errorf("device login: %w", err)
		}
		var he *httperr.Error
		switch {
		// The same sentence as the browser flow's, the protocol detail last.
		case IsOAuthError(err, "access_denied") && errors.As(err, &he):
			return nil, fmt.Errorf(`%w: to try again, run "hello login" and approve the request (%s)`, ErrAccessDenied, he.Detail())
		case IsOAuthError(err, "expired_token") && errors.As(err, &he):
			return nil, fmt.Errorf(`%w: run "hello login" for a new code (%s)`, ErrDeviceExpired, he.Detail())
		}
		return nil, err
	}
	out := c.token(*tok, token.GrantDeviceCode, Scopes)
	// There is no nonce in the device grant, but a returned ID token must
	// still be genuine before it is stored and shown as the profile.
	if out.IDToken != "" {
		if _, err := c.verify(ctx, out.IDToken); err != nil {
			return nil, fmt.Errorf("device login: %w", err)
		}
	}
	return out, nil
}

// pollDevice asks the token endpoint for the device grant's tokens every
// interval (RFC 8628 §3.4), 5 s more after each slow_down (§3.5), until
// the provider answers with tokens or another error, ctx ends, or the
// code's expiry passes (ErrDeviceExpired). It polls itself rather than
// through x/oauth2 so that its waits run on the client's clock.
func (c *Client) pollDevice(ctx context.Context, da *oauth2.DeviceAuthResponse) (*tokenResponse, error) {
	form := url.Values{
		"client_id":   {c.cfg.ClientID},
		"grant_type":  {deviceGrantType},
		"device_code": {da.DeviceCode},
		"scope":       {strings.Join(Scopes, " ")},
	}
	extra := c.params.Token()
	for k := range extra {
		form.Set(k, extra.Get(k))
	}
	// §3.2: "If no value is provided, clients MUST use 5 as the default."
	interval := time.Duration(da.Interval) * time.Second
	if da.Interval <= 0 || da.Interval > math.MaxInt64/int64(time.Second) {
		interval = 5 * time.Second
	}
	for {
		wait := min(interval, da.Expiry.Sub(c.cfg.Now()))
		if wait > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.cfg.after(wait):
			}
		}
		if !c.cfg.Now().Before(da.Expiry) {
			return nil, ErrDeviceExpired
		}
		r, err := c.tokenRequest(ctx, maps.Clone(form))
		switch {
		case err == nil:
			return r, nil
		case IsOAuthError(err, "authorization_pending"):
		case IsOAuthError(err, "slow_down"):
			interval += 5 * time.Second
		default:
			return nil, err
		}
	}
}
