package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// floodPast is more pending sign-ins than the sandbox keeps for hello-cli
// (its share is 5000).
const floodPast = 5200

// One local process floods the real sandbox's /authorize past hello-cli's
// whole share of pending sign-ins, as a script on the same machine can
// (everyone is 127.0.0.1). A sign-in a person had already opened still
// completes, and a new one started after the flood does too: the login
// page, the password, the code exchange with PKCE.
func TestSandboxAuthorizeFloodLocksNobodyOut(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	a := newRelyingParty(t, sb)

	// A person opens the login page before the flood...
	verifier, state := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	resp, err := a.browser.Get(a.conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		t.Fatal(err)
	}
	pageURL, page := readPage(t, resp)
	login := parseForm(t, page, "password")

	// ...a script sends /authorize without ever loading a page...
	flooder := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := range floodPast {
		resp, err := flooder.Get(a.conf.AuthCodeURL("flood", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "/login?") {
			t.Fatalf("flood request %d: %d %q, want a redirect to the login page", i, resp.StatusCode, loc)
		}
	}
	live, _ := sb.stats(t)["live"].(map[string]any)
	if n, _ := live["auth_requests"].(float64); n > 5000 {
		t.Errorf("%v pending sign-ins kept, want at most the share 5000", n)
	}

	// ...and the person finishes signing in.
	login.Values.Set("username", "alice@example.com")
	login.Values.Set("password", "alice-password")
	target, _ := url.Parse(pageURL)
	target, _ = target.Parse(login.Action)
	resp, err = a.browser.PostForm(target.String(), login.Values)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != state {
		t.Fatalf("sign-in opened before the flood: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := a.conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("exchange after the flood: %v", err)
	}

	// A sign-in started after the flood, in a fresh browser.
	newRelyingParty(t, sb).signIn()
}
