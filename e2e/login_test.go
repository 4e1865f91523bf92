package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// login runs `hello login --no-browser` and completes it over HTTP as the
// given user, returning hello's result.
func (u *user) login(email, password string, args ...string) result {
	u.t.Helper()
	return u.loginWith(browserClient(u.t), email, password, args...)
}

// loginWith is login with a given browser (its cookies are the provider session).
func (u *user) loginWith(c *http.Client, email, password string, args ...string) result {
	u.t.Helper()
	bg := u.start(append([]string{"login", "--no-browser", "--port", "0"}, args...)...)
	authURL := bg.WaitStderr(u.t, loginURL)
	page := httpLogin(u.t, c, authURL, email, password)
	if !strings.Contains(page, "Logged in") {
		u.t.Errorf("hello's callback page does not say it worked:\n%s", page)
	}
	r := bg.Wait(u.t)
	if r.Code != 0 {
		u.t.Fatalf("login: exit %d\nstderr: %s", r.Code, r.Stderr)
	}
	return r
}

func TestAliceGetsEveryMessage(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	r := u.login("alice@example.com", "alice-password")
	if !strings.Contains(r.Stderr, "Logged in as alice@example.com") {
		t.Errorf("login stderr = %q", r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("login wrote to stdout: %q", r.Stdout)
	}
	for kind, want := range map[string]string{
		"public":    "This is a public message.\n",
		"protected": "This is a protected message.\n",
		"admin":     "This is an admin message.\n",
	} {
		if got := u.mustRun("messages", kind).Stdout; got != want {
			t.Errorf("messages %s = %q, want %q", kind, got, want)
		}
	}
	js := u.mustRun("messages", "admin", "-o", "json").Stdout
	if !strings.Contains(js, `"text": "This is an admin message."`) {
		t.Errorf("messages admin -o json = %s", js)
	}
}

func TestBobIsDeniedAdmin(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("bob@example.com", "bob-password")
	u.mustRun("messages", "protected")
	r := u.run("messages", "admin")
	if r.Code != 5 || !strings.Contains(r.Stderr, "permission denied") || r.Stdout != "" {
		t.Fatalf("bob's admin message: exit %d, stdout %q, stderr %q; want exit 5 and permission denied", r.Code, r.Stdout, r.Stderr)
	}
}

func TestSecondLoginOnBusyPort(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	first := u.start("login", "--no-browser", "--port", "0")
	authURL := first.WaitStderr(t, loginURL)
	port := regexpFind(t, `redirect_uri=http%3A%2F%2Flocalhost%3A(\d+)`, authURL)
	r := u.run("login", "--no-browser", "--port", port)
	if r.Code != 1 || !strings.Contains(r.Stderr, "port "+port+" is busy") || !strings.Contains(r.Stderr, "--port") {
		t.Fatalf("second login on port %s: exit %d\n%s", port, r.Code, r.Stderr)
	}
	// The first login is unharmed.
	httpLogin(t, browserClient(t), authURL, "alice@example.com", "alice-password")
	if r := first.Wait(t); r.Code != 0 {
		t.Fatalf("first login: exit %d\n%s", r.Code, r.Stderr)
	}
}
