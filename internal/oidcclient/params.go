package oidcclient

import (
	"net/url"
	"slices"

	"golang.org/x/oauth2"
)

// This file is the one place where the parameters of hello's requests to
// the provider are decided: the authorization request, the code exchange,
// the refresh, client credentials and the device authorization. A parameter
// that every request needs (the audience today) is added in one function.

// authorizeRequest is what varies between authorization requests.
type authorizeRequest struct {
	verifier, nonce string
	signup          bool
}

// audienceParams name the API the token is for. Auth0 reads "audience" to
// issue a JWT access token for the API instead of an opaque one.
func (c *Client) audienceParams(v url.Values) {
	if c.cfg.Audience != "" {
		v.Set("audience", c.cfg.Audience)
	}
}

// authorizeParams are the /authorize parameters beyond x/oauth2's own
// (response_type, client_id, redirect_uri, scope, state), as values so that
// a pushed authorization request could post the same set.
func (c *Client) authorizeParams(r authorizeRequest) url.Values {
	v := url.Values{}
	v.Set("nonce", r.nonce)
	v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(r.verifier))
	v.Set("code_challenge_method", "S256")
	c.audienceParams(v)
	if r.signup {
		// Auth0 reads screen_hint; others ignore unknown parameters.
		v.Set("screen_hint", "signup")
		// prompt=create (OIDC Prompt Create 1.0) makes providers that do not
		// know it fail the request, so send it only when advertised.
		if slices.Contains(c.meta.PromptValuesSupported, "create") {
			v.Set("prompt", "create")
		}
	}
	return v
}

// exchangeParams is the body of the authorization code exchange.
func (c *Client) exchangeParams(code, redirectURL, verifier string) url.Values {
	v := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURL},
		"code_verifier": {verifier},
	}
	return v
}

// refreshParams is the body of a refresh (RFC 6749 §6). The scope is left
// out: the provider then grants what the session had.
func (c *Client) refreshParams(refreshToken string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
}

// clientCredentialsParams is the body of the client credentials grant.
func (c *Client) clientCredentialsParams() url.Values {
	v := url.Values{"grant_type": {"client_credentials"}}
	c.audienceParams(v)
	return v
}

// deviceParams are the extra device authorization parameters; Auth0 takes
// the audience there.
func (c *Client) deviceParams() []oauth2.AuthCodeOption {
	v := url.Values{}
	c.audienceParams(v)
	return asOptions(v)
}

func asOptions(v url.Values) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range v {
			if !yield(k) {
				return
			}
		}
	}) {
		opts = append(opts, oauth2.SetAuthURLParam(k, v.Get(k)))
	}
	return opts
}
