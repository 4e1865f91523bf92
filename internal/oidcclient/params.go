package oidcclient

import (
	"net/url"
	"slices"

	"golang.org/x/oauth2"
)

// This file is the one place where the parameters of hello's requests to
// the provider are decided: the authorization request, the code exchange,
// the refresh, client credentials and the device authorization. What
// depends on the provider (audience or resource, prompt=consent) comes from
// c.params, decided once at discovery (dialect.go).

// authorizeRequest is what varies between authorization requests.
type authorizeRequest struct {
	verifier, nonce string
	signup          bool
}

// merge copies the values of extra into v.
func merge(v, extra url.Values) url.Values {
	for k, vs := range extra {
		v[k] = vs
	}
	return v
}

// authorizeParams are the /authorize parameters beyond x/oauth2's own
// (response_type, client_id, redirect_uri, scope, state), as values so that
// a pushed authorization request posts the same set. The API and the
// consent that offline_access needs are asked for in the provider's
// dialect (dialect.go).
func (c *Client) authorizeParams(r authorizeRequest) url.Values {
	v := url.Values{}
	v.Set("nonce", r.nonce)
	v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(r.verifier))
	v.Set("code_challenge_method", "S256")
	var prompts []string
	if r.signup {
		// Auth0 reads screen_hint; others ignore unknown parameters.
		v.Set("screen_hint", "signup")
		// prompt=create (OIDC Prompt Create 1.0) makes providers that do not
		// know it fail the request, so send it only when advertised.
		if slices.Contains(c.meta.PromptValuesSupported, "create") {
			prompts = append(prompts, "create")
		}
	}
	return merge(v, c.params.Authorize(Scopes, prompts...))
}

// exchangeParams is the body of the authorization code exchange.
func (c *Client) exchangeParams(code, redirectURL, verifier string) url.Values {
	v := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURL},
		"code_verifier": {verifier},
	}
	return merge(v, c.params.Token())
}

// refreshParams is the body of a refresh (RFC 6749 §6). The scope is left
// out: the provider then grants what the session had. A strict provider
// issues an access token for the API only when the resource is named again.
func (c *Client) refreshParams(refreshToken string) url.Values {
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	return merge(v, c.params.Token())
}

// clientCredentialsParams is the body of the client credentials grant.
func (c *Client) clientCredentialsParams() url.Values {
	v := url.Values{"grant_type": {"client_credentials"}}
	return merge(v, c.params.ClientCredentials())
}

// deviceParams are the extra device authorization parameters; Auth0 takes
// the audience there, strict providers the resource.
func (c *Client) deviceParams() []oauth2.AuthCodeOption {
	return asOptions(c.params.DeviceAuthorization())
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
