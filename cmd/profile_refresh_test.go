package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// strictProvider is a provider whose userinfo refuses the API's access
// token (RFC 8707 resource indicators), counting refresh grants.
func strictProvider(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var refreshes atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{
				"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
				"jwks_uri": srv.URL + "/jwks", "userinfo_endpoint": srv.URL + "/userinfo",
			})
		case "/userinfo":
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="token audience prevents accessing the userinfo endpoint"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_token"}`))
		case "/token":
			if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
				return
			}
			n := refreshes.Add(1)
			_, _ = fmt.Fprintf(w, `{"access_token":"at-%d","refresh_token":"rt-%d","token_type":"Bearer","expires_in":3600}`, n, n)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &refreshes
}

// TestUserInfo401SpendsNoRefresh: through the whole command, a provider
// whose userinfo refuses the valid API token costs no refresh (profile
// falls back to the ID token and says so), while the API's 401 still
// renews once and retries once.
func TestUserInfo401SpendsNoRefresh(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		args          []string
		wantCode      int
		wantStderr    string
		wantRefreshes int32
	}{
		{name: "profile", args: []string{"profile"}, wantCode: 0, wantStderr: "The provider's userinfo refused the access token (HTTP 401, invalid_token): showing the claims of the ID token verified at login.", wantRefreshes: 0},
		{name: "messages protected", args: []string{"messages", "protected"}, wantCode: 4, wantStderr: "fresh", wantRefreshes: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			idp, refreshes := strictProvider(t)
			srv, _ := api(t, 401, `{"message":"Invalid audience"}`)
			h.env["HELLO_ISSUER"], h.env["HELLO_API_URL"] = idp.URL, srv.URL
			now := time.Now()
			id := jwt(fmt.Sprintf(`{"iss":%q,"sub":"alice","aud":"hello-cli","name":"Alice Example","email":"alice@example.com","email_verified":true,"exp":%d}`, idp.URL, now.Add(time.Hour).Unix()))
			h.saveEntry(t, idp.URL, &tokencache.Entry{User: "alice@example.com", Token: token.Token{
				AccessToken: "at-0", RefreshToken: "rt-0", IDToken: id, IssuedAt: now, Expiry: now.Add(time.Hour),
				Grant: token.GrantAuthorizationCode, Scopes: []string{"openid", "offline_access"},
			}})
			code := h.run(tc.args...)
			if code != tc.wantCode || !strings.Contains(h.err.String(), tc.wantStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, h.err, tc.wantCode, tc.wantStderr)
			}
			if got := refreshes.Load(); got != tc.wantRefreshes {
				t.Errorf("%d refresh grants at the provider, want %d", got, tc.wantRefreshes)
			}
			if tc.wantCode == 0 && !strings.Contains(h.out.String(), "Alice Example") {
				t.Errorf("stdout lacks the ID token's name:\n%s", h.out)
			}
		})
	}
}
