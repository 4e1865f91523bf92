package oidcclient

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/hello-cli/hello/internal/httperr"
)

// maxUserInfo bounds the userinfo response.
const maxUserInfo = 1 << 20

// UserInfo fetches the OIDC userinfo claims through hc, which must add the
// access token: the session's authenticated client, which renews an
// expiring token first (and, as hello's profile uses it, takes a 401 as
// final). A refusal is an *httperr.Error.
func (c *Client) UserInfo(ctx context.Context, hc *http.Client) (map[string]any, error) {
	// go-oidc's Provider.UserInfo would do, but it flattens HTTP failures
	// into strings; the status is needed to tell 401 from 5xx.
	ep := c.meta.UserInfoEndpoint
	if ep == "" {
		return nil, ErrNoUserInfo
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep, nil)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		he := httperr.FromResponse(httperr.UserInfo, resp, c.cfg.Now())
		if he.StatusCode == http.StatusUnauthorized {
			return nil, &userInfoTokenRefused{issuer: c.cfg.Issuer, audience: c.cfg.Audience, err: he}
		}
		return nil, he
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfo))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	// Signed userinfo (application/jwt) is optional in OIDC; hello asks for
	// JSON and does not handle it.
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/jwt" {
		return nil, fmt.Errorf("userinfo: signed responses (application/jwt) are not supported")
	}
	claims, err := decodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	return claims, nil
}

// userInfoTokenRefused is a 401 from userinfo for a token that is valid by
// hello's clock (hc renews an expiring one before sending it), so logging
// in again would not help: the provider does not accept its own tokens for
// this audience at userinfo.
type userInfoTokenRefused struct {
	issuer, audience string
	err              *httperr.Error
}

func (e *userInfoTokenRefused) Error() string {
	aud := e.audience
	if aud == "" {
		aud = "(none)"
	}
	return fmt.Sprintf("the provider's userinfo endpoint refuses an access token that has not expired: check that issuer %s accepts its tokens for audience %s there, with the openid scope (%s)", e.issuer, aud, e.err.Detail())
}

func (e *userInfoTokenRefused) Unwrap() error { return e.err }
