package oidcclient

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/pkg/termsafe"
)

var (
	// ErrLoginTimeout: the person did not finish a device or pasted login
	// within --timeout.
	ErrLoginTimeout = errors.New(`the login was not finished in time: run "hello login" again (--timeout gives more time)`)
	// ErrStateMismatch: a pasted redirect belongs to another login.
	ErrStateMismatch = errors.New("the pasted address belongs to another login (state mismatch): paste the address the browser shows after signing in with the URL printed above")
)

// ManualLoginOptions configures ManualLogin.
type ManualLoginOptions struct {
	// Port of the redirect URI, http://localhost:<port>/callback: the one
	// registered with the provider. Nothing listens there; the browser that
	// fails to load it shows the address to paste.
	Port    int
	Timeout time.Duration // how long to wait for the paste; zero waits for ctx
	Signup  bool
	PAR     bool
	In      io.Reader // where the address is pasted (stdin)
	Stderr  io.Writer // instructions; io.Discard when nil
}

// ManualLogin is the authorization code flow with PKCE for a person whose
// browser is on another machine and who cannot use the device flow: hello
// prints the URL, they sign in anywhere, and paste back the address of the
// redirect their browser could not load. State and iss are checked as the
// callback server would, and only then is the code redeemed.
func (c *Client) ManualLogin(ctx context.Context, o ManualLoginOptions) (*token.Token, error) {
	if err := c.canAuthenticate(); err != nil {
		return nil, err
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	if o.PAR && c.meta.PushedAuthorizationRequestEndpoint == "" {
		return nil, ErrNoPAR
	}
	if o.Port <= 0 {
		return nil, errors.New("the pasted-redirect login needs the registered callback port (--port)")
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	redirectURL := "http://localhost:" + strconv.Itoa(o.Port) + "/callback"
	authURL, lifetime, err := c.authorizationURL(ctx, redirectURL, state, verifier, nonce, o.Signup, o.PAR)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "Open this URL in a browser on any machine to log in: %s\n%s", termsafe.Line(authURL), noticeLine(pushedLinkNotice(lifetime)))
	fmt.Fprintf(stderr, "After you sign in, that browser fails to load %s?code=…: copy the whole address from its address bar and paste it here.\nAddress: ", redirectURL)

	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Timeout, ErrLoginTimeout)
		defer cancel()
	}
	resp, err := ReadPastedRedirect(ctx, o.In, "/callback")
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrLoginTimeout) {
			return nil, fmt.Errorf("login: %w", ErrLoginTimeout)
		}
		return nil, fmt.Errorf("login: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(resp.State()), []byte(state)) != 1 {
		return nil, fmt.Errorf("login: %w", ErrStateMismatch)
	}
	if err := c.checkIssuer(resp.Query); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if code := resp.ErrorCode(); code != "" {
		cbErr := &callback.CallbackError{Code: code, Description: resp.Query.Get("error_description")}
		if code == "access_denied" {
			return nil, fmt.Errorf("login: %w (%w)", ErrAccessDenied, cbErr)
		}
		return nil, fmt.Errorf("login: %w", cbErr)
	}
	return c.redeem(ctx, redirectURL, resp.Code(), verifier, nonce)
}
