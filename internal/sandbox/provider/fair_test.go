package provider

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/sandbox/eventlog"
	"github.com/hello-cli/hello/internal/sandbox/store"
)

// floodAuthorize opens /authorize n times as a script would, never loading
// the login page. Every request must be taken (a redirect to the login
// page), not refused.
func floodAuthorize(t *testing.T, s *testIDP, n int) {
	t.Helper()
	for range n {
		startAuthRequest(t, s, newPKCE())
	}
}

// One local process flooding /authorize far past hello-cli's share of
// pending sign-ins does not lock out a person who then signs in: the
// whole login (login page, password, code exchange with PKCE) succeeds,
// and memory holds no more than the share.
func TestAuthorizeFloodCannotLockOutLogin(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AuthRequestsPerClient = 20 }))
	floodAuthorize(t, s, 60)
	if n := s.Stats().Live["auth_requests"]; n != 20 {
		t.Errorf("%d pending sign-ins after the flood, want the share 20", n)
	}
	conf := s.oauthConfig()
	tok, k := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword)
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := s.rp.Verifier(&oidc.Config{ClientID: CLIClientID}).Verify(t.Context(), rawID)
	if err != nil || idt.Nonce != k.nonce || idt.Subject != "sandbox|alice" {
		t.Fatalf("ID token after the flood: %v %+v", err, idt)
	}
}

// A sign-in a person is completing (its login page shown) survives a flood
// that cycles the whole share several times over; and when every request
// in the share is in use, a new one is refused rather than one dropped.
func TestAuthorizeFloodSparesSignInInUse(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AuthRequestsPerClient = 20 }))
	conf := s.oauthConfig()
	b := newBrowser(t, s)
	k := newPKCE()
	form := b.get(k.authURL(conf))
	if !strings.Contains(form.body, `id="password"`) {
		t.Fatalf("login page: %d\n%s", form.status, form.body)
	}
	floodAuthorize(t, s, 60)
	q := callback(t, b.login(form, AliceEmail, AlicePassword))
	if q.Get("error") != "" || q.Get("state") != k.state {
		t.Fatalf("sign-in in use after the flood: %v", q)
	}
	if _, err := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(k.verifier)); err != nil {
		t.Fatalf("exchange after the flood: %v", err)
	}

	for range 20 {
		openAuthRequest(t, s)
	}
	if q := callback(t, rawGet(t, newPKCE().authURL(conf))); q.Get("error") != "temporarily_unavailable" {
		t.Errorf("share full of sign-ins in use: %v, want temporarily_unavailable", q)
	}
}

// A request whose login page nobody opened lapses after two minutes; one
// that was opened lives its full 15.
func TestUnopenedAuthRequestLapses(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	unopened := startAuthRequest(t, s, newPKCE())
	b := newBrowser(t, s)
	k := newPKCE()
	form := b.get(k.authURL(conf))

	s.clock.Advance(store.UnusedAuthRequestTTL + time.Second)
	if p := rawGet(t, s.url+loginPath+"?id="+url.QueryEscape(unopened)); p.status != http.StatusBadRequest || !strings.Contains(p.body, "unknown or has expired") {
		t.Errorf("unopened request after %v: %d, want the expired page", store.UnusedAuthRequestTTL, p.status)
	}
	if n := s.Stats().Live["auth_requests"]; n != 1 {
		t.Errorf("%d pending sign-ins, want only the opened one", n)
	}
	s.clock.Advance(10 * time.Minute)
	if q := callback(t, b.login(form, AliceEmail, AlicePassword)); q.Get("code") == "" {
		t.Errorf("opened request after 12 minutes: %v", q)
	}
}

// The same for device codes: a flood of device authorizations drops the
// oldest codes nobody typed in, not the one a person entered, whose
// device then gets its tokens.
func TestDeviceFloodSparesCodeInUse(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.DevicesPerClient = 5 }))
	conf := s.oauthConfig()
	da, err := conf.DeviceAuth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	login := b.submit(b.get(da.VerificationURIComplete), nil)
	if !strings.Contains(login.body, `id="password"`) {
		t.Fatalf("entering the code: %d\n%s", login.status, login.body)
	}
	for i := range 20 {
		if _, err := conf.DeviceAuth(t.Context()); err != nil {
			t.Fatalf("flood device authorization %d refused: %v", i, err)
		}
	}
	if n := s.Stats().Live["device_codes"]; n != 5 {
		t.Errorf("%d device codes after the flood, want the share 5", n)
	}
	approve := b.login(login, AliceEmail, AlicePassword)
	if p := b.submit(approve, map[string]string{"action": "approve"}); !strings.Contains(p.body, "Device connected") {
		t.Fatalf("approve after the flood: %d\n%s", p.status, p.body)
	}
	if code := pollOnce(t, s, da.DeviceCode); code != "" {
		t.Errorf("poll after approval: %s, want tokens", code)
	}
}

// signUp signs up on the bare sign-up page and returns the answer.
func signUp(t *testing.T, s *testIDP, email string) page {
	t.Helper()
	b := newBrowser(t, s)
	return b.submit(b.get(s.url+signupPath), map[string]string{"name": "Test User", "email": email, "password": "long-enough"})
}

// Signed-up accounts are capped; at the cap a clear page says so, and the
// demo users still log in.
func TestSignupCap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startIDP(t, func(c *Config) {
		c.Ephemeral, c.StateDir = false, dir
		c.Limits = store.DefaultLimits
		c.Limits.Users = 2
	})
	for i := range 2 {
		if p := signUp(t, s, "user"+strconv.Itoa(i)+"@example.com"); p.status != http.StatusOK || !strings.Contains(p.body, "signed in") {
			t.Fatalf("sign-up %d: %d\n%s", i, p.status, p.body)
		}
	}
	p := signUp(t, s, "one-too-many@example.com")
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "as many accounts as it keeps") || !strings.Contains(p.body, `value="one-too-many@example.com"`) {
		t.Errorf("sign-up past the cap: %d, want 403 with the form kept and a clear message\n%s", p.status, p.body)
	}
	if _, ok := s.store.Authenticate("one-too-many@example.com", "long-enough"); ok {
		t.Error("the refused account was created")
	}
	newBrowser(t, s).loginTokens(s.oauthConfig(), BobEmail, BobPassword)
}

// Sign-ups are rate limited for everyone together (all callers share
// 127.0.0.1): past the rate, 429 with Retry-After and the form kept, until
// the minute is over.
func TestSignupRateLimit(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.SignupsPerMinute = 2 }))
	for i := range 2 {
		if p := signUp(t, s, "fast"+strconv.Itoa(i)+"@example.com"); p.status != http.StatusOK {
			t.Fatalf("sign-up %d: %d\n%s", i, p.status, p.body)
		}
	}
	p := signUp(t, s, "third@example.com")
	retry, _ := strconv.Atoi(p.header.Get("Retry-After"))
	if p.status != http.StatusTooManyRequests || retry < 1 || retry > 60 || !strings.Contains(p.body, "sign-up is paused") || !strings.Contains(p.body, `value="third@example.com"`) {
		t.Fatalf("third sign-up in a minute: %d Retry-After %q, want 429, 1..60 and the form kept\n%s", p.status, p.header.Get("Retry-After"), p.body)
	}
	s.clock.Advance(time.Minute)
	if p := signUp(t, s, "third@example.com"); p.status != http.StatusOK {
		t.Errorf("sign-up a minute later: %d\n%s", p.status, p.body)
	}
}

// Per-owner shares cannot add up to a token table that refuses everyone:
// with the table full of two owners' tokens, a user who signs up then
// still gets tokens (the biggest holder's oldest is forgotten), while the
// holders stay refused.
func TestSharesCannotFillTokenTable(t *testing.T) {
	t.Parallel()
	s := startIDP(t, withLimits(func(l *store.Limits) { l.AccessTokens, l.AccessTokensPerOwner = 12, 6 }))
	for i := range 6 {
		if status, _, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status != http.StatusOK {
			t.Fatalf("client credentials %d: %d %s", i, status, e)
		}
	}
	conf := s.oauthConfig()
	tok, _ := newBrowser(t, s).loginTokens(conf, AliceEmail, AlicePassword)
	for range 5 {
		var err error
		if tok, err = refresh(t, conf, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Stats().Live["access_tokens"]; n != 12 {
		t.Fatalf("%d live access tokens, want the table full (12)", n)
	}

	if p := signUp(t, s, "newcomer@example.com"); p.status != http.StatusOK {
		t.Fatalf("sign-up: %d", p.status)
	}
	fresh, _ := newBrowser(t, s).loginTokens(conf, "newcomer@example.com", "long-enough")
	if status := userinfoStatus(t, s, fresh.AccessToken); status != http.StatusOK {
		t.Errorf("newcomer's token at /userinfo: %d", status)
	}
	if status, _, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status == http.StatusOK || e != "temporarily_unavailable" {
		t.Errorf("the biggest holder with the table full: %d %s, want refused", status, e)
	}
	if n := s.Stats().Live["access_tokens"]; n != 12 {
		t.Errorf("%d live access tokens, want still 12", n)
	}
}

// Identical events are folded: a client-credentials loop writes its first
// grant at once and then one line a minute with the count, while other
// clients' and users' events are logged as they happen.
func TestEventLogFoldsRepeats(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	log, err := eventlog.New(&buf, eventlog.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	s := startIDP(t, func(c *Config) { c.Logger = log })
	for range 30 {
		if status, _, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status != http.StatusOK {
			t.Fatalf("client credentials: %d %s", status, e)
		}
	}
	newBrowser(t, s).loginTokens(s.oauthConfig(), AliceEmail, AlicePassword)
	s.clock.Advance(eventlog.Every)
	if status, _, e := tokenPost(t, s, ciForm, CIClientID, CIClientSecret); status != http.StatusOK {
		t.Fatalf("client credentials: %d %s", status, e)
	}

	var got []string
	for _, l := range buf.lines(t) {
		if msg := str(l["msg"]); msg == "tokens issued" || msg == "user logged in" {
			n, _ := l["repeated_since_last_line"].(float64)
			got = append(got, msg+" "+str(l["grant"])+" "+str(l["user"])+" "+strconv.Itoa(int(n)))
		}
	}
	want := []string{
		"tokens issued client credentials hello-ci@clients 0",
		"user logged in  sandbox|alice 0",
		"tokens issued authorization code sandbox|alice 0",
		"tokens issued client credentials hello-ci@clients 29",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
