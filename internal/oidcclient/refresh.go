package oidcclient

import (
	"context"
	"errors"

	"github.com/hello-cli/hello/internal/shield"
	"github.com/hello-cli/hello/internal/token"
)

// ClientCredentials gets a token for the client itself (CI, machines). It
// needs the client secret; there is no refresh token, callers mint a new
// token when this one expires.
func (c *Client) ClientCredentials(ctx context.Context) (*token.Token, error) {
	if err := c.canAuthenticate(); err != nil {
		return nil, err
	}
	if c.cfg.ClientSecret == "" {
		return nil, ErrNoClientSecret
	}
	r, err := c.tokenRequest(ctx, c.clientCredentialsParams())
	if err != nil {
		return nil, err
	}
	return c.token(*r, token.GrantClientCredentials, nil), nil
}

// Refresh redeems a refresh token. With rotation the provider returns a new
// refresh token; without, the result's RefreshToken is empty and the caller
// keeps the old one. The result's Grant is GrantRefreshToken; callers that
// record how the session began keep the original grant. Scopes is nil when
// the provider did not list them, meaning unchanged (RFC 6749 §5.1). A
// refusal is an *httperr.Error (Code "invalid_grant" for a dead session).
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*token.Token, error) {
	if refreshToken == "" {
		return nil, errors.New("refresh: no refresh token")
	}
	r, err := c.tokenRequest(ctx, c.refreshParams(refreshToken))
	if err != nil {
		return nil, err
	}
	// The answer is in: a hold that kept a signal from cutting the
	// request short (shield.Hold) has done its job, and the keys below
	// are not worth a wait once the person asked to stop.
	ctx = shield.Resume(ctx)
	out := c.token(*r, token.GrantRefreshToken, nil)
	if out.IDToken != "" {
		// No nonce check: a refreshed ID token need not carry one (OIDC
		// Core §12.2), but it must still be genuine. One that cannot be
		// verified (even if only because the keys could not be fetched) is
		// dropped, not the refresh: with rotation the old refresh token is
		// already spent, so failing here would lose the session.
		// IDTokenRejected says so, for a caller that needs the ID token.
		if _, err := c.verify(ctx, out.IDToken); err != nil {
			out.IDToken, out.IDTokenRejected = "", err
		}
	}
	return out, nil
}
