package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// Every error the real sandbox sends back to the application from its
// authorization endpoint names the issuer (RFC 9207 §2: error responses
// too), in the query and in the fragment. The sandbox's login page has no
// "cancel", so access_denied never comes from /authorize; these are the
// errors it can send.
func TestSandboxIssOnEveryAuthorizationError(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	a := newRelyingParty(t, sb)
	a.signIn() // a provider session, so prompt=none is answered at once
	pkce := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	param := oauth2.SetAuthURLParam
	fragment := param("response_mode", "fragment")
	for _, c := range []struct {
		name, want string
		opts       []oauth2.AuthCodeOption
		fresh      bool // a browser without a session
	}{
		{"prompt=none without a session", "login_required", []oauth2.AuthCodeOption{pkce, param("prompt", "none")}, true},
		{"... in the fragment", "login_required", []oauth2.AuthCodeOption{pkce, param("prompt", "none"), fragment}, true},
		{"no PKCE", "invalid_request", nil, false},
		{"request object", "request_not_supported", []oauth2.AuthCodeOption{pkce, param("request", "eyJhbGciOiJub25lIn0.e30.")}, false},
		{"unknown audience", "invalid_target", []oauth2.AuthCodeOption{pkce, param("audience", "https://other.example.com")}, false},
		{"audience and resource differ", "invalid_target", []oauth2.AuthCodeOption{pkce, param("audience", "https://hello-world.example.com"), param("resource", "https://other.example.com")}, false},
		{"response_type the client may not use", "unauthorized_client", []oauth2.AuthCodeOption{pkce, param("response_type", "token")}, false},
		{"... in the fragment", "unauthorized_client", []oauth2.AuthCodeOption{pkce, param("response_type", "token"), fragment}, false},
	} {
		b := a.browser
		if c.fresh {
			fresh := newRelyingParty(t, sb)
			b = fresh.browser
		}
		resp, err := b.Get(a.conf.AuthCodeURL("st", c.opts...))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || loc.Path != "/callback" {
			t.Errorf("%s: %d Location %q, want a redirect to the application", c.name, resp.StatusCode, resp.Header.Get("Location"))
			continue
		}
		q := loc.Query()
		if loc.Fragment != "" {
			q, _ = url.ParseQuery(loc.Fragment)
		}
		if q.Get("error") != c.want || q.Get("iss") != sb.Issuer || q.Get("state") != "st" {
			t.Errorf("%s: %v, want error=%s with iss=%s and the state", c.name, q, c.want, sb.Issuer)
		}
	}
}
