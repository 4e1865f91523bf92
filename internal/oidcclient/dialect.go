package oidcclient

import (
	"net/url"
	"slices"
	"strings"
)

// Dialect is how a provider wants the API and offline access asked for.
// Auth0 names the API with its own "audience" parameter, ignores RFC 8707
// "resource", and keeps offline_access without prompt=consent (which would
// show its consent screen on every login). A provider that follows the
// standards strictly issues an access token for the API only for an RFC
// 8707 "resource", and drops offline_access unless prompt=consent is sent
// (OpenID Connect Core §11).
type Dialect string

const (
	// DialectAuto detects Auth0 from the issuer and discovery.
	DialectAuto Dialect = "auto"
	// DialectAuth0 speaks Auth0's dialect.
	DialectAuth0 Dialect = "auth0"
	// DialectStandard speaks RFC 8707 and OIDC Core §11.
	DialectStandard Dialect = "standard"
)

// ProviderFacts are what the dialect is detected from.
type ProviderFacts struct {
	Issuer string
	// MFAChallengeEndpoint is Auth0's own discovery field: present on every
	// Auth0 tenant, custom domains included, and on no other provider.
	MFAChallengeEndpoint  string
	PromptValuesSupported []string
}

// IsAuth0 reports whether the facts describe an Auth0 tenant: an issuer on
// auth0.com (regional ones included) or Auth0's mfa_challenge_endpoint in
// discovery (custom domains).
func (f ProviderFacts) IsAuth0() bool {
	if f.MFAChallengeEndpoint != "" {
		return true
	}
	u, err := url.Parse(f.Issuer)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host == "auth0.com" || strings.HasSuffix(host, ".auth0.com")
}

// RequestParams are the provider-specific parameters of each request that
// gets tokens, decided once from the dialect, discovery and the audience.
type RequestParams struct {
	auth0    bool
	audience string
	resource bool // audience is an absolute URI, so it can be an RFC 8707 resource
	consent  bool // add prompt=consent when asking for offline_access
}

// NewRequestParams decides the parameters. On a standard provider the
// audience is sent both as RFC 8707 resource (where it is an absolute URI,
// as §2 requires) and as "audience", which RFC 6749 §3.1 makes providers
// ignore when they do not know it and which some (Ory Hydra) read.
// prompt=consent goes with offline_access unless the provider lists its
// prompt values without "consent" (the sandbox, for one).
func NewRequestParams(d Dialect, f ProviderFacts, audience string) RequestParams {
	auth0 := d == DialectAuth0 || (d != DialectStandard && f.IsAuth0())
	p := RequestParams{auth0: auth0, audience: audience}
	if !auth0 {
		p.resource = isResourceURI(audience)
		p.consent = len(f.PromptValuesSupported) == 0 || slices.Contains(f.PromptValuesSupported, "consent")
	}
	return p
}

// Auth0 reports whether the provider is treated as Auth0.
func (p RequestParams) Auth0() bool { return p.auth0 }

// isResourceURI: RFC 8707 §2 wants an absolute URI without a fragment.
func isResourceURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(s, "#")
}

// api names the API: audience (Auth0 and others), resource (RFC 8707).
func (p RequestParams) api(v url.Values, withAudience bool) url.Values {
	if p.audience == "" {
		return v
	}
	if p.auth0 || withAudience || !p.resource {
		v.Set("audience", p.audience)
	}
	if p.resource {
		v.Set("resource", p.audience)
	}
	return v
}

// Authorize are the extra parameters of an authorization request for
// scopes. prompts are other prompt values wanted (e.g. "create"); consent
// is added where offline_access needs it.
func (p RequestParams) Authorize(scopes []string, prompts ...string) url.Values {
	v := p.api(url.Values{}, true)
	if p.consent && slices.Contains(scopes, "offline_access") && !slices.Contains(prompts, "consent") {
		prompts = append(slices.Clone(prompts), "consent")
	}
	if len(prompts) > 0 {
		v.Set("prompt", strings.Join(prompts, " "))
	}
	return v
}

// Token are the extra parameters of the code exchange, refresh and device
// token requests: RFC 8707 §2.2 lets the client name the resource again,
// and strict providers issue a JWT for the API only then. Auth0 remembers
// the audience of the authorization.
func (p RequestParams) Token() url.Values {
	if p.auth0 || !p.resource || p.audience == "" {
		return url.Values{}
	}
	return url.Values{"resource": {p.audience}}
}

// DeviceAuthorization are the extra parameters of the device authorization
// request (RFC 8628 §3.1), where Auth0 takes the audience.
func (p RequestParams) DeviceAuthorization() url.Values { return p.api(url.Values{}, true) }

// ClientCredentials are the extra parameters of the client credentials
// token request.
func (p RequestParams) ClientCredentials() url.Values { return p.api(url.Values{}, true) }

// Describe says in a few words what is sent, for --verbose and status.
func (p RequestParams) Describe() string {
	switch {
	case p.audience == "":
		return "no API audience configured"
	case p.auth0:
		return "Auth0: audience parameter, no prompt=consent"
	case p.resource && p.consent:
		return "standard: RFC 8707 resource (and audience), prompt=consent with offline_access"
	case p.resource:
		return "standard: RFC 8707 resource (and audience)"
	default:
		return "standard: audience (not an absolute URI, so not an RFC 8707 resource)"
	}
}
