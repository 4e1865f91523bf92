package oidcclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/httperr"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Revoke revokes a token (RFC 7009), normally the refresh token at logout.
// hint is "refresh_token", "access_token" or empty. It returns
// ErrNoRevocation when the provider advertises no revocation endpoint.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	if c.meta.RevocationEndpoint == "" {
		return ErrNoRevocation
	}
	if err := c.canAuthenticate(); err != nil {
		return err
	}
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	// RFC 7009 §2.1: the client authenticates as at the token endpoint
	// (providers that hold a client to its registered method refuse any
	// other). Auth0 documents the secret in the body for /oauth/revoke.
	auth := ClientAuth{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, InBody: c.params.Auth0() || c.authStyle() == oauth2.AuthStyleInParams}
	req, err := auth.post(ctx, c.meta.RevocationEndpoint, form)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// RFC 7009 §2.2: 200 also for tokens that were already invalid, so
	// logging out twice is not an error.
	if resp.StatusCode == http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	return httperr.FromResponse(httperr.Revocation, resp, c.cfg.Now())
}

// LogoutURL is where the browser goes to end the provider's session, or ""
// when the provider has no way: with an end_session_endpoint (RP-Initiated
// Logout 1.0) it carries client_id and, when given, post_logout_redirect_uri;
// for Auth0 without one, its /v2/logout with client_id and returnTo. An
// empty returnTo gives a URL that works as printed, ending on the
// provider's own page: Auth0's /v2/logout then has no client_id either,
// since with one it sends the browser to the first Allowed Logout URL,
// where nothing listens once hello has exited. It never carries the ID
// token: URLs get printed, logged and put in argv; LogoutForm posts it.
func (c *Client) LogoutURL(returnTo string) string {
	if ep := c.meta.EndSessionEndpoint; ep != "" {
		u, err := url.Parse(ep)
		if err == nil {
			q := u.Query() // keep parameters the endpoint already has
			if returnTo != "" {
				q.Set("post_logout_redirect_uri", returnTo)
			}
			q.Set("client_id", c.cfg.ClientID)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	if !c.params.Auth0() {
		return ""
	}
	u, err := url.Parse(c.cfg.Issuer)
	if err != nil || u.Host == "" {
		// New succeeded with this issuer, so it is a URL; this is a guard.
		return ""
	}
	q := url.Values{}
	if returnTo != "" {
		q.Set("client_id", c.cfg.ClientID)
		q.Set("returnTo", returnTo)
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/v2/logout", RawQuery: q.Encode()}).String()
}

// LogoutForm is the provider logout as a form post: the end_session
// endpoint and the fields to post to it (id_token_hint,
// post_logout_redirect_uri, client_id). ok is false when the provider has no
// end_session_endpoint; then only LogoutURL applies.
func (c *Client) LogoutForm(idToken, returnTo string) (action string, fields url.Values, ok bool) {
	if c.meta.EndSessionEndpoint == "" {
		return "", nil, false
	}
	fields = url.Values{"client_id": {c.cfg.ClientID}}
	if idToken != "" {
		fields.Set("id_token_hint", idToken)
	}
	if returnTo != "" {
		fields.Set("post_logout_redirect_uri", returnTo)
	}
	return c.meta.EndSessionEndpoint, fields, true
}
