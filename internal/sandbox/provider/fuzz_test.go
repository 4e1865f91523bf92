package provider

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzFormEndpoints posts arbitrary bodies to the form endpoints: the
// answer is always the protocol's own JSON error or a success, never a 5xx
// and never a panic. Run longer with:
//
//	go test -fuzz FuzzFormEndpoints ./internal/sandbox/provider/
func FuzzFormEndpoints(f *testing.F) {
	for _, seed := range []string{
		"grant_type=client_credentials",
		"grant_type=client_credentials&grant_type=refresh_token",
		"grant_type=refresh_token&refresh_token=AAAA&client_id=hello-cli",
		"grant_type=authorization_code&code=x&client_id=hello-cli&resource=x&audience=y",
		"client_id=hello-cli&scope=openid%00&audience=https%3A%2F%2Fhello-world.example.com",
		"%zz=1", "&&&", "token=x&token_type_hint=refresh_token&client_id=hello-cli",
	} {
		f.Add("/oauth/token", seed)
		f.Add("/device_authorization", seed)
		f.Add("/revoke", seed)
	}
	s := startIDP(f, nil)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/oauth/token", "/device_authorization", "/revoke", "/oauth/introspect", "/userinfo":
		default:
			path = "/oauth/token"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(CIClientID, CIClientSecret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Body.Len() > 0 {
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("POST %s %q: %d, not an OAuth error: %q", path, body, rec.Code, rec.Body)
			}
		}
	})
}
