package provider

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// inputTag returns the <input> tag with the given id.
func inputTag(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<input[^>]*id="` + id + `"[^>]*>`).FindString(body)
	if m == "" {
		t.Fatalf("no input %q in:\n%s", id, body)
	}
	return m
}

// The pages say what a newcomer needs: which application is signing in,
// the demo accounts, where to type after a wrong password, the password
// rule, the code format, what a device asks for in plain words, and which
// client_id is unknown.
func TestPagesForNewUsers(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b, p := loginPage(t, s)
	for _, want := range []string{"to continue to <strong>hello-cli</strong>", AliceEmail, AlicePassword, BobEmail, BobPassword} {
		if !strings.Contains(p.body, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	if !strings.Contains(inputTag(t, p.body, "username"), "autofocus") {
		t.Error("a fresh login form does not focus the email")
	}
	p = b.login(p, AliceEmail, "wrong-password")
	if strings.Contains(inputTag(t, p.body, "username"), "autofocus") || !strings.Contains(inputTag(t, p.body, "password"), "autofocus") {
		t.Errorf("after a wrong password the focus is not on the password:\n%s", p.body)
	}

	signup := b.get(s.url + signupPath)
	rule := strings.Index(signup.body, "8 to 72 characters")
	if rule < 0 || rule > strings.Index(signup.body, `id="password"`) {
		t.Errorf("sign-up page does not state the password rule before the field:\n%s", signup.body)
	}

	if dev := b.get(s.url + devicePath); !strings.Contains(dev.body, "XXXX-XXXX") {
		t.Errorf("device page does not show the code format:\n%s", dev.body)
	}
	conf := s.oauthConfig()
	da, err := conf.DeviceAuth(t.Context(), oauth2.SetAuthURLParam("audience", DefaultAudience))
	if err != nil {
		t.Fatal(err)
	}
	approve := b.submit(b.get(da.VerificationURIComplete), nil)
	approve = b.login(approve, BobEmail, BobPassword)
	for _, want := range []string{"your profile and email address", "staying signed in", "the Hello World API"} {
		if !strings.Contains(approve.body, want) {
			t.Errorf("approve page lacks %q:\n%s", want, approve.body)
		}
	}
	if strings.Contains(approve.body, "offline_access") {
		t.Errorf("approve page shows a raw scope name:\n%s", approve.body)
	}

	bad := rawGet(t, s.url+"/authorize?client_id=helo-cli&response_type=code&redirect_uri="+
		"http%3A%2F%2F127.0.0.1%3A4040%2Fcallback&scope=openid")
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "helo-cli") {
		t.Errorf("unknown client_id page does not name it: %d\n%s", bad.status, bad.body)
	}
}
