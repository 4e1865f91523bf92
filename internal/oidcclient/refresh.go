package oidcclient

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ClientCredentials gets a token for the client itself (CI, machines). It
// needs the client secret; there is no refresh token, callers mint a new
// token when this one expires.
func (c *Client) ClientCredentials(ctx context.Context) (*Tokens, error) {
	if c.cfg.ClientSecret == "" {
		return nil, ErrNoClientSecret
	}
	cc := &clientcredentials.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		TokenURL:     c.provider.Endpoint().TokenURL,
		AuthStyle:    c.authStyle(),
	}
	if c.cfg.Audience != "" {
		cc.EndpointParams = map[string][]string{"audience": {c.cfg.Audience}}
	}
	tok, err := cc.Token(c.ctx(ctx))
	if err != nil {
		return nil, fmt.Errorf("client credentials: %w", mapOAuthError(err))
	}
	return c.tokens(tok, GrantClientCredentials, nil), nil
}

// Refresh redeems a refresh token. With rotation the provider returns a new
// refresh token; without, the old one stays in Tokens.RefreshToken. The
// result's Grant is GrantRefreshToken; callers that record how the session
// began keep the original grant. Scopes is nil when the provider did not
// list them, meaning unchanged (RFC 6749 §5.1). invalid_grant matches
// ErrInvalidGrant.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, errors.New("refresh: no refresh token")
	}
	conf := c.oauth2Config("", nil)
	// An expired token with only a refresh token makes TokenSource refresh
	// at once; oauth2 keeps the old refresh token when none comes back.
	tok, err := conf.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", mapOAuthError(err))
	}
	out := c.tokens(tok, GrantRefreshToken, nil)
	if out.IDToken != "" {
		// No nonce check: a refreshed ID token need not carry one (OIDC
		// Core §12.2), but it must still be genuine. One that cannot be
		// verified (even if only because the keys could not be fetched) is
		// dropped, not the refresh: with rotation the old refresh token is
		// already spent, so failing here would lose the session.
		if _, err := c.verify(ctx, out.IDToken); err != nil {
			out.IDToken = ""
		}
	}
	return out, nil
}
