package oidcclient

import (
	"errors"
	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/token"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	now := time.Now().Truncate(time.Second)
	c := newClient(t, op, func(cfg *Config) {
		cfg.ClientSecret, cfg.Audience = testSecret, testAudience
		cfg.Now = func() time.Time { return now }
	})
	tok, err := c.ClientCredentials(t.Context())
	if err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}
	if tok.Grant != token.GrantClientCredentials || tok.AccessToken == "" || tok.RefreshToken != "" || tok.IDToken != "" ||
		!tok.Expiry.Equal(now.Add(time.Hour)) {
		t.Errorf("tokens = %+v", tok)
	}
	op.mu.Lock()
	req := op.ccReqs[0]
	op.mu.Unlock()
	if got := req.PostForm.Get("audience"); got != testAudience {
		t.Errorf("audience = %q, want %q", got, testAudience)
	}
	if _, _, ok := req.BasicAuth(); !ok {
		t.Error("secret not sent with HTTP Basic (the default without token_endpoint_auth_methods_supported)")
	}
	if req.PostForm.Has("client_secret") {
		t.Error("secret also sent in the body")
	}
}

func TestClientCredentialsNeedsSecret(t *testing.T) {
	t.Parallel()
	c := newClient(t, newFakeOP(t))
	_, err := c.ClientCredentials(t.Context())
	if !errors.Is(err, ErrNoClientSecret) {
		t.Fatalf("error = %v, want ErrNoClientSecret", err)
	}
	for _, want := range []string{"HELLO_CLIENT_SECRET", "[AUTH0] CLIENT_SECRET"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %s", err, want)
		}
	}
}

func TestClientCredentialsWrongSecret(t *testing.T) {
	t.Parallel()
	c := newClient(t, newFakeOP(t), func(cfg *Config) { cfg.ClientSecret = "wrong-secret" })
	_, err := c.ClientCredentials(t.Context())
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_client" || oe.StatusCode != 401 {
		t.Fatalf("error = %v, want OAuthError invalid_client 401", err)
	}
	assertNoSecrets(t, "error", err.Error(), "wrong-secret")
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rotate     bool
		withID     bool
		wantSameRT bool
	}{
		{name: "no rotation keeps the refresh token", wantSameRT: true},
		{name: "rotation returns a new refresh token", rotate: true},
		{name: "new ID token is verified", withID: true, wantSameRT: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			op.rotate, op.idTokenOnRefresh = tt.rotate, tt.withID
			op.addRefreshToken("rt-old")
			c := newClient(t, op)
			tok, err := c.Refresh(t.Context(), "rt-old")
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if tok.AccessToken == "" || tok.Grant != token.GrantRefreshToken {
				t.Errorf("tokens = %+v", tok)
			}
			// Without rotation the answer has no refresh token: the
			// session keeps the old one.
			if rotated := tok.RefreshToken != "" && tok.RefreshToken != "rt-old"; rotated == tt.wantSameRT {
				t.Errorf("RefreshToken = %q, want rotated: %v", tok.RefreshToken, !tt.wantSameRT)
			}
			if (tok.IDToken != "") != tt.withID {
				t.Errorf("IDToken present = %v, want %v", tok.IDToken != "", tt.withID)
			}
			if tt.rotate {
				// The old token is spent: reuse is refused.
				if _, err := c.Refresh(t.Context(), "rt-old"); !IsOAuthError(err, "invalid_grant") {
					t.Errorf("reusing a rotated token: %v, want ErrInvalidGrant", err)
				}
			}
		})
	}
}

func TestRefreshInvalidGrant(t *testing.T) {
	t.Parallel()
	c := newClient(t, newFakeOP(t))
	tok, err := c.Refresh(t.Context(), "rt-revoked-secret-value")
	if !IsOAuthError(err, "invalid_grant") || tok != nil {
		t.Fatalf("Refresh() = %+v, %v; want ErrInvalidGrant", tok, err)
	}
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.StatusCode != 400 || oe.Code != "invalid_grant" {
		t.Errorf("error %v: want *OAuthError invalid_grant 400", err)
	}
	assertNoSecrets(t, "error", err.Error(), "rt-revoked-secret-value")
}

// TestRefreshDropsBadIDToken: an ID token that fails verification is never
// returned, but the refresh itself stands — with rotation the old refresh
// token is already spent, and losing the new one would end the session.
func TestRefreshDropsBadIDToken(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.idTokenOnRefresh = true
	op.rotate = true
	op.idClaims = func(c map[string]any) { c["aud"] = "another-client" }
	op.addRefreshToken("rt-1")
	c := newClient(t, op)
	tok, err := c.Refresh(t.Context(), "rt-1")
	if err != nil {
		t.Fatalf("Refresh() error = %v", err)
	}
	if tok.IDToken != "" {
		t.Error("an unverifiable ID token was returned")
	}
	if tok.IDTokenRejected == nil {
		t.Error("the dropped ID token is not reported: callers cannot tell it from none sent")
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.RefreshToken == "rt-1" {
		t.Errorf("rotated tokens lost: %+v", tok)
	}
}

func TestRefreshProviderFailure(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.tokenStatus = 503
	op.addRefreshToken("rt-1")
	c := newClient(t, op)
	_, err := c.Refresh(t.Context(), "rt-1")
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.StatusCode != 503 || !oe.Temporary() {
		t.Fatalf("error = %v, want OAuthError with StatusCode 503", err)
	}
	if IsOAuthError(err, "invalid_grant") {
		t.Error("a provider outage must not look like a dead session")
	}
}

func TestRefreshUnreachable(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	op.srv.Close() // the provider goes away after discovery
	_, err := c.Refresh(t.Context(), "rt-secret-value")
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		t.Fatalf("Refresh() error = %v (%T), want a wrapped *url.Error", err, err)
	}
	if IsOAuthError(err, "invalid_grant") {
		t.Error("an unreachable provider must not look like a dead session")
	}
	assertNoSecrets(t, "error", err.Error(), "rt-secret-value")
}

func TestBrowserLoginExchangeFailure(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.tokenStatus = 502
	c := newClient(t, op)
	tok, err := c.BrowserLogin(t.Context(), BrowserLoginOptions{Timeout: time.Minute, Open: followBrowser})
	var oe *httperr.Error
	if !errors.As(err, &oe) || oe.StatusCode != 502 || tok != nil {
		t.Fatalf("BrowserLogin() = %+v, %v; want OAuthError 502", tok, err)
	}
}
