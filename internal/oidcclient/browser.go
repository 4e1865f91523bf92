package oidcclient

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// BrowserLoginOptions configures BrowserLogin.
type BrowserLoginOptions struct {
	Port    int           // loopback port; 0 picks a free one
	Timeout time.Duration // how long to wait for the callback; zero waits for ctx
	// Signup starts on the provider's sign-up screen: screen_hint=signup
	// (Auth0) always, prompt=create where the provider advertises it.
	Signup bool
	// Open opens a URL in the browser. Nil or NoBrowser only prints it.
	Open      func(url string) error
	NoBrowser bool
	// Stderr receives the instructions for the user; io.Discard when nil.
	Stderr io.Writer
	// PAR pushes the authorization request (RFC 9126) even where the
	// provider does not require it; ErrNoPAR when it has no endpoint.
	PAR bool
}

// BrowserLogin runs the authorization code flow with PKCE (RFC 7636), state
// and nonce through a loopback redirect (RFC 8252), and returns the tokens
// only once the ID token is verified and carries our nonce.
func (c *Client) BrowserLogin(ctx context.Context, o BrowserLoginOptions) (*token.Token, error) {
	// Fail before the person signs in, not at the code exchange after.
	if err := c.canAuthenticate(); err != nil {
		return nil, err
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()

	// Listen before anything else: a busy port must fail before a browser
	// tab is opened for a login that could never complete.
	if o.PAR && c.meta.PushedAuthorizationRequestEndpoint == "" {
		return nil, ErrNoPAR
	}
	srv, err := callback.Listen(ctx, callback.Options{
		Port: o.Port, Path: "/callback", Timeout: o.Timeout, State: state,
		// RFC 9207: refuse a response from another issuer before its code
		// is redeemed.
		Check: c.checkIssuer,
	})
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	authURL, lifetime, err := c.authorizationURL(ctx, srv.RedirectURL(), state, verifier, nonce, o.Signup, o.PAR)
	if err != nil {
		return nil, err
	}
	notice := pushedLinkNotice(lifetime)

	// The URL holds only public values (client ID, state, nonce, challenge),
	// so printing it is safe.
	if o.Open != nil && !o.NoBrowser {
		fmt.Fprintf(stderr, "Opening %s in your browser…\n", termsafe.Line(authURL))
		// In the background: a launcher that waits for its browser must not
		// hold up the wait for the callback.
		go func() {
			if err := o.Open(authURL); err != nil {
				fmt.Fprintf(stderr, "Could not open a browser (%v).\nOpen this URL to log in: %s\n%s", err, termsafe.Line(authURL), noticeLine(notice))
			}
		}()
	} else {
		fmt.Fprintf(stderr, "Open this URL to log in: %s\n%s", termsafe.Line(authURL), noticeLine(notice))
	}

	code, err := srv.Wait(ctx)
	if err != nil {
		var cbErr *callback.CallbackError
		if errors.As(err, &cbErr) {
			// The provider's answer says it all, in words and then in code.
			if cbErr.Code == "access_denied" {
				return nil, &refusal{sentinel: ErrAccessDenied, err: err}
			}
			return nil, err
		}
		return nil, fmt.Errorf("login: %w", err)
	}

	out, err := c.redeem(ctx, srv.RedirectURL(), code, verifier, nonce)
	// The browser tab shows this outcome, not merely that a code arrived.
	srv.Finish(err)
	return out, err
}

// authorizationURL is the URL the browser opens: the authorization request
// itself, or, pushed (RFC 9126) when the provider requires it or par asks,
// a reference to it.
// lifetime is how long a pushed request's URL works, zero when not pushed.
func (c *Client) authorizationURL(ctx context.Context, redirectURL, state, verifier, nonce string, signup, par bool) (u string, lifetime time.Duration, err error) {
	conf := c.oauth2Config(redirectURL, Scopes)
	authURL := conf.AuthCodeURL(state, asOptions(c.authorizeParams(authorizeRequest{verifier: verifier, nonce: nonce, signup: signup}))...)
	if !c.pushes(par) {
		return authURL, 0, nil
	}
	if err := c.canAuthenticate(); err != nil {
		return "", 0, err
	}
	push := PushedRequest{
		Endpoint: c.meta.PushedAuthorizationRequestEndpoint,
		Auth:     ClientAuth{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, InBody: c.authStyle() == oauth2.AuthStyleInParams},
		HTTP:     c.cfg.HTTPClient,
		Now:      c.cfg.Now,
	}
	return push.PushFor(ctx, authURL)
}

// noticeLine puts a notice that follows a printed URL on its own line.
func noticeLine(notice string) string {
	if notice == "" {
		return ""
	}
	return notice + "\n"
}

// pushes reports whether authorization requests go through PAR: when the
// provider requires it, or when asked and the provider has the endpoint.
func (c *Client) pushes(asked bool) bool {
	if c.meta.PushedAuthorizationRequestEndpoint == "" {
		return false
	}
	return asked || c.meta.RequirePushedAuthorizationRequests
}

// checkIssuer applies RFC 9207 to an authorization response.
func (c *Client) checkIssuer(q url.Values) error {
	return CheckResponseIssuer(q, c.meta.Issuer, c.meta.AuthorizationResponseIssParameterSupported)
}

// redeem exchanges the code and verifies the ID token it brings.
func (c *Client) redeem(ctx context.Context, redirectURL, code, verifier, nonce string) (*token.Token, error) {
	r, err := c.tokenRequest(ctx, c.exchangeParams(code, redirectURL, verifier))
	if err != nil {
		return nil, err
	}
	out := c.token(*r, token.GrantAuthorizationCode, Scopes)
	if out.IDToken == "" {
		return nil, fmt.Errorf("login: %w", ErrNoIDToken)
	}
	if err := c.verifyLoginIDToken(ctx, out, nonce); err != nil {
		return nil, err
	}
	return out, nil
}

// verifyLoginIDToken verifies the ID token from a code exchange and checks
// it answers our request: the nonce ties it to this login and defeats replay.
func (c *Client) verifyLoginIDToken(ctx context.Context, t *token.Token, nonce string) error {
	id, err := c.verify(ctx, t.IDToken)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		return errors.New("login: verify ID token: nonce does not match this login")
	}
	// at_hash is optional in the code flow; when present it binds the
	// access token to the ID token.
	if id.AccessTokenHash != "" {
		if err := id.VerifyAccessToken(t.AccessToken); err != nil {
			return fmt.Errorf("login: verify ID token: %w", err)
		}
	}
	return nil
}
