package oidcclient

import (
	"encoding/json"
	"errors"
	"github.com/hello-cli/hello/internal/httperr"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRevoke(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	if err := c.Revoke(t.Context(), "rt-1", "refresh_token"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	// Revoking again is fine: RFC 7009 answers 200 for unknown tokens.
	if err := c.Revoke(t.Context(), "rt-1", ""); err != nil {
		t.Fatalf("second Revoke: %v", err)
	}
	op.mu.Lock()
	reqs := op.revokeReqs
	op.mu.Unlock()
	want := []url.Values{
		{"token": {"rt-1"}, "token_type_hint": {"refresh_token"}, "client_id": {testClientID}},
		{"token": {"rt-1"}, "client_id": {testClientID}},
	}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("revocation requests (-want +got):\n%s", diff)
	}
}

// TestRevokeConfidentialClient: a confidential client authenticates at the
// revocation endpoint as at the token endpoint (RFC 7009 §2.1: as RFC 6749
// §2.3 says, where HTTP Basic is the method every provider must accept and
// some, registered for it, require), except on Auth0, whose documented
// form for /oauth/revoke has the secret in the body.
func TestRevokeConfidentialClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		dialect   Dialect
		wantBasic bool
	}{
		{"standard: HTTP Basic, as at the token endpoint", DialectStandard, true},
		{"Auth0: secret in the body", DialectAuth0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			c := newClient(t, op, func(cfg *Config) { cfg.ClientSecret = testSecret; cfg.Dialect = tc.dialect })
			if err := c.Revoke(t.Context(), "rt-1", "refresh_token"); err != nil {
				t.Fatal(err)
			}
			op.mu.Lock()
			defer op.mu.Unlock()
			req := op.revokeReqs[0]
			user, pass, basic := op.revokeAuth[0].user, op.revokeAuth[0].pass, op.revokeAuth[0].ok
			if tc.wantBasic {
				if !basic || user != testClientID || pass != testSecret || req.Has("client_secret") {
					t.Errorf("basic %v %q:%q, body %v; want HTTP Basic only", basic, user, pass, req)
				}
				return
			}
			if basic || req.Get("client_secret") != testSecret || req.Get("client_id") != testClientID {
				t.Errorf("basic %v, body %v; want the secret in the body", basic, req)
			}
		})
	}
}

func TestRevokeErrors(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.noRevocation = true
	if err := newClient(t, op).Revoke(t.Context(), "rt", ""); !errors.Is(err, ErrNoRevocation) {
		t.Errorf("no endpoint: %v, want ErrNoRevocation", err)
	}

	op = newFakeOP(t)
	op.revokeStatus = 503
	err := newClient(t, op).Revoke(t.Context(), "rt-secret-value", "")
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.StatusCode != 503 || oe.Code != "temporarily_unavailable" {
		t.Errorf("503: %v, want OAuthError 503", err)
	}
	assertNoSecrets(t, "error", err.Error(), "rt-secret-value")
}

func TestLogoutURL(t *testing.T) {
	t.Parallel()
	t.Run("end_session_endpoint", func(t *testing.T) {
		t.Parallel()
		op := newFakeOP(t)
		op.endSession = "https://op.example/oidc/logout?p=keep"
		got := newClient(t, op).LogoutURL("http://localhost:4040/")
		want := "https://op.example/oidc/logout?client_id=hello-cli&p=keep&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A4040%2F"
		if got != want {
			t.Errorf("LogoutURL() =\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("printed end_session URL: no redirect", func(t *testing.T) {
		t.Parallel()
		op := newFakeOP(t)
		op.endSession = "https://op.example/oidc/logout"
		if got, want := newClient(t, op).LogoutURL(""), "https://op.example/oidc/logout?client_id=hello-cli"; got != want {
			t.Errorf("LogoutURL() = %s, want %s", got, want)
		}
	})
	t.Run("neither end_session nor Auth0", func(t *testing.T) {
		t.Parallel()
		if got := newClient(t, newFakeOP(t)).LogoutURL("http://localhost:4040/"); got != "" {
			t.Errorf("LogoutURL() = %s for a provider with no logout", got)
		}
	})
	t.Run("Auth0 printed v2/logout: no client_id, no returnTo", func(t *testing.T) {
		t.Parallel()
		op := newFakeOP(t)
		c := newClient(t, op, func(c *Config) { c.Dialect = DialectAuth0 })
		if got := c.LogoutURL(""); !strings.HasSuffix(got, "/v2/logout") {
			t.Errorf("LogoutURL() = %s, want a bare /v2/logout", got)
		}
	})
	t.Run("Auth0 v2/logout", func(t *testing.T) {
		t.Parallel()
		op := newFakeOP(t)
		c := newClient(t, op, func(c *Config) { c.Dialect = DialectAuth0 })
		got, err := url.Parse(c.LogoutURL("http://localhost:4040/"))
		if err != nil {
			t.Fatal(err)
		}
		issuer, _ := url.Parse(op.issuer)
		if got.Host != issuer.Host || got.Path != "/v2/logout" {
			t.Errorf("LogoutURL() = %s, want %s/v2/logout", got, issuer.Host)
		}
		want := url.Values{"client_id": {testClientID}, "returnTo": {"http://localhost:4040/"}}
		if diff := cmp.Diff(want, got.Query()); diff != "" {
			t.Errorf("query (-want +got):\n%s", diff)
		}
	})
}

func TestUserInfo(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.deviceScript = []string{"approve"}
	c := newClient(t, op)
	tok, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.UserInfo(t.Context(), bearerClient(tok.AccessToken))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	want := map[string]any{
		"sub": "user-1", "email": "alice@example.com", "email_verified": true,
		"updated_at": json.Number("1700000000"),
	}
	if diff := cmp.Diff(want, info); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}

	_, err = c.UserInfo(t.Context(), bearerClient("not-a-token"))
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.StatusCode != 401 || oe.Code != "invalid_token" {
		t.Errorf("bad token: %v, want OAuthError 401 invalid_token", err)
	}
	assertNoSecrets(t, "error", err.Error(), "not-a-token")
}

func TestLogoutForm(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.endSession = op.issuer + "/end_session"
	c, err := New(t.Context(), Config{Issuer: op.issuer, ClientID: testClientID})
	if err != nil {
		t.Fatal(err)
	}
	action, fields, ok := c.LogoutForm("id.token.hint", "http://localhost:4040/")
	if !ok || action != op.endSession {
		t.Fatalf("LogoutForm: %q, %v", action, ok)
	}
	if fields.Get("id_token_hint") != "id.token.hint" || fields.Get("post_logout_redirect_uri") != "http://localhost:4040/" || fields.Get("client_id") != testClientID {
		t.Errorf("fields = %v", fields)
	}

	noEndSession := newFakeOP(t)
	c, err = New(t.Context(), Config{Issuer: noEndSession.issuer, ClientID: testClientID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.LogoutForm("id.token.hint", "http://localhost:4040/"); ok {
		t.Error("LogoutForm without an end_session_endpoint")
	}
}

// The authenticated client sends userinfo a token valid by hello's clock
// and takes its 401 as final: the message must not suggest a login that
// cannot help, and names what to check, as for the API.
func TestUserInfoRefusingAFreshTokenSaysWhatToCheck(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op, func(cfg *Config) { cfg.Audience = "https://api.example.com" })
	_, err := c.UserInfo(t.Context(), bearerClient("refused-token"))
	var he *httperr.Error
	if !errors.As(err, &he) || he.StatusCode != 401 {
		t.Fatalf("UserInfo = %v, want the 401 as an *httperr.Error", err)
	}
	msg := err.Error()
	for _, want := range []string{"has not expired", op.issuer, "https://api.example.com", "invalid_token"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "hello login") {
		t.Errorf("error %q suggests a login, which cannot help", msg)
	}
	assertNoSecrets(t, "error", msg, "refused-token")
}
