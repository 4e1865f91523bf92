package claims

// protocolClaims describe a token or the protocol exchange, not the person:
// JWT registered claims (RFC 7519), OpenID Connect Core's ID token claims,
// RFC 9068 access-token claims, and the extras providers are known to add
// (Zitadel's rat, Auth0's and RBAC's permissions and scope).
var protocolClaims = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"nonce": true, "auth_time": true, "acr": true, "amr": true, "azp": true, "sid": true,
	"at_hash": true, "c_hash": true, "s_hash": true, "rat": true, "client_id": true,
	"scope": true, "scp": true, "permissions": true, "cnf": true, "typ": true, "act": true,
	"may_act": true, "events": true, "sub_jwk": true, "token_use": true, "idp": true,
}

// Person returns the claims that describe the person: everything but the
// protocol claims. The map is new; the values are shared.
func Person(c map[string]any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		if !protocolClaims[k] {
			out[k] = v
		}
	}
	return out
}

// Email returns the first e-mail address any of the claim sets has, in the
// order given (say userinfo, then the ID token, then the access token), and
// whether that same source says it is verified.
func Email(sources ...map[string]any) (email string, verified bool) {
	for _, c := range sources {
		if e := String(c, "email"); e != "" {
			v, _ := c["email_verified"].(bool)
			return e, v
		}
	}
	return "", false
}
