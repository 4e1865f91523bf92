package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestProfileUserinfoRefusalSpendsNoRefresh: an access token that the
// provider revoked (RFC 7009) is refused at /userinfo while it is still
// valid by hello's clock. `hello profile` shows the ID token's claims and
// says why, without spending (and rotating) the refresh token: renewing
// cannot be told apart from renewing for a provider that never takes the
// API's token at userinfo, where the renewed token is refused as well.
func TestProfileUserinfoRefusalSpendsNoRefresh(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	access := strings.TrimSpace(u.mustRun("token").Stdout)
	form := url.Values{"token": {access}, "token_type_hint": {"access_token"}, "client_id": {"hello-cli"}}
	resp, err := http.PostForm(sb.Issuer+"/revoke", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoking the access token: HTTP %d", resp.StatusCode)
	}
	before, refresh := sb.grants(t, "refresh_token"), u.cacheEntry()["refresh_token"]

	r := u.mustRun("profile")
	if !strings.Contains(r.Stderr, "The provider's userinfo refused the access token (HTTP 401") {
		t.Errorf("stderr does not say userinfo refused the token:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stdout, "alice@example.com") {
		t.Errorf("stdout lacks the ID token's e-mail:\n%s", r.Stdout)
	}
	if n := sb.grants(t, "refresh_token") - before; n != 0 {
		t.Errorf("hello profile made %d refresh grants, want 0", n)
	}
	if u.cacheEntry()["refresh_token"] != refresh {
		t.Error("hello profile rotated the refresh token")
	}
}
