package provider

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Malformed or hostile input gets the protocol's own error: an OAuth JSON
// error from API endpoints, an HTML page from browser pages. Never a 500.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	const form = "application/x-www-form-urlencoded"
	basic := func(v string) map[string]string { return map[string]string{"Authorization": v} }
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		body    string
		header  map[string]string
		status  int    // 0: any 4xx
		oauth   string // expected "error" of a JSON answer; "" for HTML
		noOAuth bool   // neither JSON error nor HTML required (library's own plain answers)
	}{
		{name: "token GET", method: "GET", path: "/oauth/token", status: 405, oauth: "invalid_request"},
		{name: "token empty", method: "POST", path: "/oauth/token", oauth: "invalid_request"},
		{name: "token bad escape", method: "POST", path: "/oauth/token", body: "grant_type=%zz", oauth: "invalid_request"},
		{name: "token password grant", method: "POST", path: "/oauth/token", body: "grant_type=password&username=a&password=b", oauth: "unsupported_grant_type"},
		{name: "token jwt-bearer", method: "POST", path: "/oauth/token", body: "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=x", oauth: "unsupported_grant_type"},
		{name: "token exchange", method: "POST", path: "/oauth/token", body: "grant_type=urn:ietf:params:oauth:grant-type:token-exchange", oauth: "unsupported_grant_type"},
		{name: "code garbage", method: "POST", path: "/oauth/token", body: "grant_type=authorization_code&code=x&client_id=hello-cli&code_verifier=y&redirect_uri=http://localhost:4040/callback", oauth: "invalid_grant"},
		{name: "code missing", method: "POST", path: "/oauth/token", body: "grant_type=authorization_code&client_id=hello-cli", oauth: "invalid_request"},
		{name: "refresh unknown client", method: "POST", path: "/oauth/token", body: "grant_type=refresh_token&refresh_token=x&client_id=nobody", oauth: "invalid_client"},
		{name: "refresh no client", method: "POST", path: "/oauth/token", body: "grant_type=refresh_token&refresh_token=x", oauth: "invalid_client"},
		{name: "refresh missing token", method: "POST", path: "/oauth/token", body: "grant_type=refresh_token&client_id=hello-cli", oauth: "invalid_request"},
		{name: "refresh garbage", method: "POST", path: "/oauth/token", body: "grant_type=refresh_token&refresh_token=%00%01&client_id=hello-cli", oauth: "invalid_grant"},
		{name: "refresh by confidential without secret", method: "POST", path: "/oauth/token", body: "grant_type=refresh_token&refresh_token=x&client_id=hello-ci"},
		{name: "device unknown code", method: "POST", path: "/oauth/token", body: "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=x&client_id=hello-cli", oauth: "invalid_grant"},
		{name: "device no client", method: "POST", path: "/oauth/token", body: "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=x"},
		{name: "cc bad basic", method: "POST", path: "/oauth/token", body: "grant_type=client_credentials", header: basic("Basic !!!!"), oauth: "invalid_client"},
		{name: "cc bad escape in basic", method: "POST", path: "/oauth/token", body: "grant_type=client_credentials", header: basic("Basic JXp6OiV6eg=="), oauth: "invalid_client"},
		{name: "cc wrong audience", method: "POST", path: "/oauth/token", body: "grant_type=client_credentials&audience=https://other.example", header: basic("Basic aGVsbG8tY2k6aGVsbG8tY2ktc2VjcmV0"), oauth: "invalid_target"},
		{name: "cc unknown scope", method: "POST", path: "/oauth/token", body: "grant_type=client_credentials&scope=delete:everything", header: basic("Basic aGVsbG8tY2k6aGVsbG8tY2ktc2VjcmV0"), oauth: "invalid_scope"},
		{name: "huge body", method: "POST", path: "/oauth/token", body: "grant_type=" + strings.Repeat("a", maxBodyBytes+10), status: 413, oauth: "invalid_request"},
		{name: "device auth GET", method: "GET", path: "/device_authorization", status: 405, oauth: "invalid_request"},
		{name: "device auth unknown client", method: "POST", path: "/device_authorization", body: "client_id=nobody", oauth: "invalid_client"},
		{name: "device auth no client", method: "POST", path: "/device_authorization", oauth: "invalid_client"},
		{name: "device auth confidential client", method: "POST", path: "/device_authorization", body: "client_id=hello-ci", oauth: "unauthorized_client"},
		{name: "device auth bad audience", method: "POST", path: "/device_authorization", body: "client_id=hello-cli&audience=x", oauth: "invalid_target"},
		{name: "revoke no client", method: "POST", path: "/revoke", body: "token=x", oauth: "invalid_client"},
		{name: "revoke bad escape", method: "POST", path: "/revoke", body: "token=%zz", oauth: "invalid_request"},
		{name: "revoke GET", method: "GET", path: "/revoke", status: 405, oauth: "invalid_request"},
		{name: "introspect unauthenticated", method: "POST", path: "/oauth/introspect", body: "token=x", oauth: "invalid_client"},
		{name: "userinfo bearer only", method: "GET", path: "/userinfo", header: basic("Bearer"), status: 401, oauth: "invalid_token"},
		{name: "userinfo basic", method: "GET", path: "/userinfo", header: basic("Basic eDp5"), status: 401, oauth: "invalid_token"},
		{name: "userinfo DELETE", method: "DELETE", path: "/userinfo", status: 405, oauth: "invalid_request"},
		{name: "stats POST", method: "POST", path: "/sandbox/stats", status: 405, oauth: "invalid_request"},
		{name: "discovery POST", method: "POST", path: "/.well-known/openid-configuration", status: 405, oauth: "invalid_request"},
		{name: "authorize empty", method: "GET", path: "/authorize", status: 400},
		{name: "authorize unknown client", method: "GET", path: "/authorize?client_id=nobody&redirect_uri=http://localhost:4040/callback&response_type=code&scope=openid", status: 400},
		{name: "authorize bad escape", method: "GET", path: "/authorize?client_id=%zz", status: 400},
		{name: "authorize DELETE", method: "DELETE", path: "/authorize", status: 405},
		{name: "callback unknown id", method: "GET", path: "/authorize/callback?id=nope", status: 400},
		{name: "callback no id", method: "GET", path: "/authorize/callback", status: 400},
		{name: "end_session bad hint", method: "GET", path: "/end_session?id_token_hint=garbage", status: 400},
		{name: "end_session unknown client", method: "GET", path: "/end_session?client_id=nobody&post_logout_redirect_uri=http://localhost:4040/", status: 400},
		{name: "end_session bad escape", method: "GET", path: "/end_session?state=%zz", status: 400},
		{name: "login unknown request", method: "GET", path: "/login?id=nope", status: 400},
		{name: "login post without csrf", method: "POST", path: "/login", body: "username=a&password=b", status: 403},
		{name: "signup unknown request", method: "GET", path: "/signup?id=nope", status: 400},
		{name: "signup post without csrf", method: "POST", path: "/signup", body: "name=a&email=a@example.com&password=12345678", status: 403},
		{name: "device approve unknown code", method: "GET", path: "/device/approve?user_code=NOPE", status: 400},
		{name: "device post without csrf", method: "POST", path: "/device", body: "user_code=x", status: 403},
		{name: "login PUT", method: "PUT", path: "/login", status: 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, s.url+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" || tc.method == "POST" {
				req.Header.Set("Content-Type", form)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode >= 500 || strings.Contains(string(body), "goroutine ") {
				t.Fatalf("status %d body %q", resp.StatusCode, body)
			}
			if resp.StatusCode < 400 {
				t.Fatalf("status %d, want an error; body %q", resp.StatusCode, body)
			}
			if tc.status != 0 && resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d; body %q", resp.StatusCode, tc.status, body)
			}
			ct := resp.Header.Get("Content-Type")
			switch {
			case tc.oauth != "":
				var e struct {
					Error string `json:"error"`
				}
				if !strings.HasPrefix(ct, "application/json") || json.Unmarshal(body, &e) != nil || e.Error != tc.oauth {
					t.Errorf("content type %q body %q, want OAuth error %q", ct, body, tc.oauth)
				}
			case strings.HasPrefix(tc.path, "/oauth/") || strings.HasPrefix(tc.path, "/device_authorization"):
				var e struct {
					Error string `json:"error"`
				}
				if json.Unmarshal(body, &e) != nil || e.Error == "" {
					t.Errorf("body %q, want an OAuth JSON error", body)
				}
			default:
				if !strings.HasPrefix(ct, "text/html") {
					t.Errorf("content type %q, want an HTML page; body %q", ct, body)
				}
				if resp.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
				}
			}
		})
	}
}
