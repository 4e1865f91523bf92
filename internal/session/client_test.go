package session

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// TestClientRenewalOn401 counts refreshes at the provider for a 401, with a
// real session over a real cache: the API's 401 renews once and retries
// once; userinfo's (NoRenewOn401) spends no refresh token on a token that
// is valid by hello's clock.
func TestClientRenewalOn401(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
		// ago and ttl describe the cached token; ttl 0 is a token without
		// expires_in.
		ago, ttl      time.Duration
		status        []int
		wantAuths     []string
		wantStatus    int
		wantRefreshes int32
	}{
		{name: "API: a 401 renews once and retries once", ttl: time.Hour, status: []int{401},
			wantAuths: []string{"Bearer at-0", "Bearer at-1"}, wantStatus: 200, wantRefreshes: 1},
		{name: "API: the renewed token refused too", ttl: time.Hour, status: []int{401, 401},
			wantAuths: []string{"Bearer at-0", "Bearer at-1"}, wantStatus: 401, wantRefreshes: 1},
		{name: "userinfo: a 401 for a valid token is final", opts: []Option{NoRenewOn401()}, ttl: time.Hour, status: []int{401, 200},
			wantAuths: []string{"Bearer at-0"}, wantStatus: 401, wantRefreshes: 0},
		{name: "userinfo: an expiring token is still renewed before the call", opts: []Option{NoRenewOn401()}, ago: 59*time.Minute + 59*time.Second, ttl: time.Hour, status: []int{401, 200},
			wantAuths: []string{"Bearer at-1"}, wantStatus: 401, wantRefreshes: 1},
		{name: "userinfo: a token of unknown lifetime is renewed once", opts: []Option{NoRenewOn401()}, status: []int{401},
			wantAuths: []string{"Bearer at-0", "Bearer at-1"}, wantStatus: 200, wantRefreshes: 1},
		{name: "userinfo: a 200 needs nothing", opts: []Option{NoRenewOn401()}, ttl: time.Hour,
			wantAuths: []string{"Bearer at-0"}, wantStatus: 200, wantRefreshes: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &fakeProvider{}
			s := newSession(t, p)
			issued := s.Now().Add(-tc.ago)
			e := &tokencache.Entry{User: "alice@example.com", Token: token.Token{
				AccessToken: "at-0", RefreshToken: "rt", IDToken: "id", IssuedAt: issued,
				Grant: token.GrantAuthorizationCode, Scopes: []string{"openid"},
			}}
			if tc.ttl > 0 {
				e.Token.Expiry = issued.Add(tc.ttl)
			}
			if err := s.Store.Save(s.Key, e); err != nil {
				t.Fatal(err)
			}
			rt := &recordingRT{status: tc.status}
			c := Client(&http.Client{Transport: rt}, s, "https://op.example.com", tc.opts...)
			resp, err := c.Get("https://op.example.com/userinfo")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || strings.Join(rt.auths, ",") != strings.Join(tc.wantAuths, ",") {
				t.Errorf("status %d, Authorization %q; want %d, %q", resp.StatusCode, rt.auths, tc.wantStatus, tc.wantAuths)
			}
			if got := p.refreshes.Load(); got != tc.wantRefreshes {
				t.Errorf("%d refreshes at the provider, want %d", got, tc.wantRefreshes)
			}
			if tc.wantRefreshes == 0 {
				if got := load(t, s).Token.RefreshToken; got != "rt" {
					t.Errorf("the cached refresh token is %q, want rt unspent", got)
				}
			}
		})
	}
}
