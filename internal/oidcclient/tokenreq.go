package oidcclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/token"
)

// maxTokenResponse bounds a token endpoint's answer.
const maxTokenResponse = 1 << 20

// tokenResponse is RFC 6749 §5.1 plus OpenID Connect's id_token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
	ExpiresIn    int64  `json:"-"`
}

// tokenRequest posts form to the token endpoint with the client's
// authentication. It is sent once, never retried: a refresh token may be
// single-use. A refusal is an *httperr.Error.
func (c *Client) tokenRequest(ctx context.Context, form url.Values) (*tokenResponse, error) {
	if err := c.canAuthenticate(); err != nil {
		return nil, err
	}
	if c.authStyle() == oauth2.AuthStyleInParams {
		form.Set("client_id", c.cfg.ClientID)
		if c.cfg.ClientSecret != "" {
			form.Set("client_secret", c.cfg.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.meta.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.authStyle() == oauth2.AuthStyleInHeader {
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, unreachable(httperr.Token, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, httperr.FromResponse(httperr.Token, resp, c.cfg.Now())
	}
	var raw struct {
		tokenResponse
		ExpiresIn any    `json:"expires_in"`
		Error     string `json:"error"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, resp.Body, maxTokenResponse))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err == nil {
		err = dec.Decode(&raw)
	}
	if err != nil {
		return nil, fmt.Errorf("the provider's token endpoint answered with something that is not a token response (%v)", err)
	}
	if raw.AccessToken == "" {
		if raw.Error != "" {
			// RFC 6749 §5.2 wants 400, but some providers answer an
			// error with 200 (GitHub's device flow polls do): it is the
			// error all the same, as x/oauth2 reads it, so that
			// authorization_pending keeps the device poll going.
			return nil, httperr.FromBody(httperr.Token, resp.StatusCode, resp.Header, body, c.cfg.Now())
		}
		return nil, errors.New("the provider's token endpoint answered without an access token")
	}
	out := raw.tokenResponse
	out.ExpiresIn = expiresIn(raw.ExpiresIn)
	return &out, nil
}

// token makes the one token type of a response. requested are the scopes
// asked for, which RFC 6749 §5.1 says were granted when the response omits
// "scope".
func (c *Client) token(r tokenResponse, grant string, requested []string) *token.Token {
	now := c.cfg.Now()
	out := &token.Token{
		AccessToken:  r.AccessToken,
		RefreshToken: r.RefreshToken,
		IDToken:      r.IDToken,
		TokenType:    r.TokenType,
		Grant:        grant,
		IssuedAt:     now.UTC(),
		Scopes:       slices.Clone(requested),
	}
	if r.Scope != "" {
		out.Scopes = strings.Fields(r.Scope)
	}
	if r.ExpiresIn > 0 {
		out.Expiry = now.Add(time.Duration(r.ExpiresIn) * time.Second).UTC()
	}
	return out
}

// expiresIn reads expires_in, which some providers send as a string.
func expiresIn(v any) int64 {
	switch v := v.(type) {
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}
