package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestSandboxHelpDocumentsFlags(t *testing.T) {
	t.Parallel()
	u := newUser(t, nil)
	out := u.mustRun("sandbox", "--help").Stdout
	for _, flag := range []string{"--refresh-reuse-interval", "--log-format", "rotation overlap", `"json"`} {
		if !strings.Contains(out, flag) {
			t.Errorf("hello sandbox --help does not mention %s:\n%s", flag, out)
		}
	}
	if r := u.run("sandbox", "--log-format", "xml"); r.Code != 2 || !strings.Contains(r.Stderr, "--log-format") {
		t.Errorf("--log-format xml: exit %d, stderr %q; want 2 and a sentence about the flag", r.Code, r.Stderr)
	}
}

// relyingParty is an application signing in to the sandbox with x/oauth2
// and go-oidc, and a cookie-keeping browser that stops at its callback.
type relyingParty struct {
	t       *testing.T
	sb      *sandbox
	rp      *oidc.Provider
	conf    *oauth2.Config
	browser *http.Client
}

func newRelyingParty(t *testing.T, sb *sandbox) *relyingParty {
	t.Helper()
	rp, err := oidc.NewProvider(t.Context(), sb.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	ep := rp.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	b := browserClient(t)
	issuer, _ := url.Parse(sb.Issuer)
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Host != issuer.Host {
			return http.ErrUseLastResponse // the application's callback: nobody listens
		}
		return nil
	}
	return &relyingParty{t: t, sb: sb, rp: rp, browser: b, conf: &oauth2.Config{
		ClientID: "hello-cli", Endpoint: ep, RedirectURL: "http://127.0.0.1:49151/callback",
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}}
}

// signIn runs the code flow with PKCE as alice and returns the callback's
// query and the tokens.
func (a *relyingParty) signIn(extra ...oauth2.AuthCodeOption) (url.Values, *oauth2.Token) {
	t := a.t
	t.Helper()
	verifier, state := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, extra...)
	resp, err := a.browser.Get(a.conf.AuthCodeURL(state, opts...))
	if err != nil {
		t.Fatal(err)
	}
	pageURL, page := readPage(t, resp)
	f := parseForm(t, page, "password")
	f.Values.Set("username", "alice@example.com")
	f.Values.Set("password", "alice-password")
	target, _ := url.Parse(pageURL)
	target, _ = target.Parse(f.Action)
	resp, err = a.browser.PostForm(target.String(), f.Values)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Path != "/callback" {
		t.Fatalf("sign-in ended with %d at %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != state {
		t.Fatalf("state %q", q.Get("state"))
	}
	tok, err := a.conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return q, tok
}

// postToken posts a token request and returns status and body.
func postToken(t *testing.T, sb *sandbox, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, sb.Issuer+"/oauth/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The real binary behaves as Auth0 where the issue found it did not: the
// authorization response names the issuer (RFC 9207), the ID token names
// only the client so the API refuses it, a repeated parameter is refused,
// and with --refresh-reuse-interval a lost refresh answer is survivable.
func TestSandboxAuth0Fidelity(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, "--refresh-reuse-interval", "1m")
	a := newRelyingParty(t, sb)
	q, tok := a.signIn(oauth2.SetAuthURLParam("audience", "https://hello-world.example.com"))
	if q.Get("iss") != sb.Issuer {
		t.Errorf("authorization response iss = %q, want %s", q.Get("iss"), sb.Issuer)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := a.rp.Verifier(&oidc.Config{ClientID: "hello-cli"}).Verify(t.Context(), rawID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(idt.Audience, []string{"hello-cli"}) {
		t.Errorf("ID token aud = %v, want [hello-cli]", idt.Audience)
	}
	call := func(token string) int {
		req := newRequest(t, sb.API+"/api/messages/protected")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(tok.AccessToken); got != http.StatusOK {
		t.Errorf("API with the access token: %d", got)
	}
	if got := call(rawID); got != http.StatusUnauthorized {
		t.Errorf("API with the ID token: %d, want 401", got)
	}

	if status, body := postToken(t, sb, "grant_type=client_credentials&grant_type=client_credentials&client_id=hello-ci&client_secret=hello-ci-secret"); status != http.StatusBadRequest || !strings.Contains(body, "invalid_request") {
		t.Errorf("grant_type twice: %d %s", status, body)
	}

	refresh := "grant_type=refresh_token&client_id=hello-cli&refresh_token=" + url.QueryEscape(tok.RefreshToken)
	s1, first := postToken(t, sb, refresh)
	s2, again := postToken(t, sb, refresh) // the first answer was "lost"
	if s1 != http.StatusOK || s2 != http.StatusOK || first != again {
		t.Errorf("previous refresh token within the interval: %d, %d, same answer %v", s1, s2, first == again)
	}
	if status, body := postToken(t, sb, refresh); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Errorf("third use: %d %s, want invalid_grant", status, body)
	}
	var next struct {
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal([]byte(first), &next)
	if status, _ := postToken(t, sb, "grant_type=refresh_token&client_id=hello-cli&refresh_token="+url.QueryEscape(next.RefreshToken)); status != http.StatusBadRequest {
		t.Errorf("newest token after the reuse: %d, want 400 (login revoked)", status)
	}
}

// The event log has one JSON line per real event: nothing for device
// polls, a line per token response, one for the throttled login; and the
// sixth wrong password is refused with 429.
func TestSandboxEventLog(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, "--log-format", "json")
	status, body := postForm(t, sb.Issuer+"/device_authorization", url.Values{"client_id": {"hello-cli"}, "scope": {"openid"}})
	var da struct {
		DeviceCode string `json:"device_code"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &da) != nil {
		t.Fatalf("device authorization: %d %s", status, body)
	}
	for range 5 { // pending, then too fast: refused, and not logged
		postForm(t, sb.Issuer+"/oauth/token", url.Values{"client_id": {"hello-cli"}, "device_code": {da.DeviceCode},
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}})
	}
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {"hello-ci"}, "client_secret": {"hello-ci-secret"}}
	for range 2 {
		if status, body := postForm(t, sb.Issuer+"/oauth/token", cc); status != http.StatusOK {
			t.Fatalf("client credentials: %d %s", status, body)
		}
	}
	c := browserClient(t)
	pageURL, page := fetch(t, c, sb.Issuer+"/login")
	for i := range 6 {
		f := parseForm(t, page, "password")
		f.Values.Set("username", "alice@example.com")
		f.Values.Set("password", "wrong-password")
		target, _ := url.Parse(pageURL)
		target, _ = target.Parse(f.Action)
		resp, err := c.PostForm(target.String(), f.Values)
		if err != nil {
			t.Fatal(err)
		}
		pageURL, page = readPage(t, resp)
		if want := map[bool]int{true: http.StatusTooManyRequests, false: http.StatusOK}[i == 5]; resp.StatusCode != want {
			t.Fatalf("wrong password %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}

	lines := waitLogLines(t, sb, func(ls []map[string]any) bool {
		return count(ls, "tokens issued") == 1 && count(ls, "login refused: too many failed passwords") == 1
	})
	// The second, identical grant is folded into the next line a minute on.
	if n := count(lines, "tokens issued"); n != 1 {
		t.Errorf("%d lines for two identical client-credentials grants, want 1", n)
	}
	for _, l := range lines {
		if s, _ := json.Marshal(l); strings.Contains(string(s), "authorization_pending") || strings.Contains(string(s), "slow_down") {
			t.Errorf("a device poll was logged: %s", s)
		}
	}
	if n := count(lines, "login throttled: too many failed passwords"); n != 1 {
		t.Errorf("%d lines for the lockout, want 1", n)
	}
}

func postForm(t *testing.T, u string, v url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func count(lines []map[string]any, msg string) int {
	n := 0
	for _, l := range lines {
		if l["msg"] == msg {
			n++
		}
	}
	return n
}

// waitLogLines waits until the sandbox's JSON log lines satisfy done, and
// returns them. Every line that starts like JSON must be JSON.
func waitLogLines(t *testing.T, sb *sandbox, done func([]map[string]any) bool) []map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		changed := sb.stderr.Changed()
		var lines []map[string]any
		for _, l := range strings.Split(sb.stderr.String(), "\n") {
			if !strings.HasPrefix(l, "{") {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("log line is not JSON: %q", l)
			}
			lines = append(lines, m)
		}
		if done(lines) {
			return lines
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("log lines never complete; stderr:\n%s", sb.stderr)
		}
	}
}
