package oidcclient

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxUserInfo bounds the userinfo response.
const maxUserInfo = 1 << 20

// UserInfo fetches the OIDC userinfo claims for an access token. A 401
// comes back as *OAuthError with StatusCode 401 (Code from the
// WWW-Authenticate header, e.g. "invalid_token") so callers can refresh and
// retry.
func (c *Client) UserInfo(ctx context.Context, accessToken string) (map[string]any, error) {
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
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		oe := responseError(resp)
		if oe.Code == "" {
			oe.Code = bearerError(resp.Header.Get("WWW-Authenticate"))
		}
		return nil, fmt.Errorf("userinfo: %w", oe)
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

// bearerError extracts error="…" from a WWW-Authenticate: Bearer header
// (RFC 6750 §3).
func bearerError(h string) string {
	_, params, ok := strings.Cut(h, " ")
	if !ok {
		return ""
	}
	for p := range strings.SplitSeq(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(k, "error") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
