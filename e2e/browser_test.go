package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// These tests drive headless Chromium: the real pages, cookies, redirects
// and forms a person sees.

func TestBrowserLoginAliceAndBob(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	chrome := newChrome(t)

	alice := newUser(t, sb)
	bg := alice.start("login", "--no-browser", "--port", "0")
	chromeLogin(t, chrome, bg.WaitStderr(t, loginURL), "alice@example.com", "alice-password")
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("login: exit %d\n%s", r.Code, r.Stderr)
	}
	for kind, want := range map[string]string{"public": "public", "protected": "protected", "admin": "admin"} {
		if got := alice.mustRun("messages", kind).Stdout; !strings.Contains(got, want) {
			t.Errorf("alice's %s message = %q", kind, got)
		}
	}

	// Bob logs in in a browser of his own (no provider session from alice).
	bob := newUser(t, sb)
	bg = bob.start("login", "--no-browser", "--port", "0")
	chromeLogin(t, newChrome(t), bg.WaitStderr(t, loginURL), "bob@example.com", "bob-password")
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("bob's login: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := bob.run("messages", "admin"); r.Code != 5 {
		t.Errorf("bob's admin message: exit %d, want 5\n%s", r.Code, r.Stderr)
	}
}

func TestBrowserWrongPassword(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	chrome := newChrome(t)
	u := newUser(t, sb)
	bg := u.start("login", "--no-browser", "--port", "0")
	chromeDo(t, chrome, "wrong password",
		chromedp.Navigate(bg.WaitStderr(t, loginURL)),
		fillLogin("alice@example.com", "not-her-password"),
	)
	waitChromeText(t, chrome, "Wrong email or password")
	// The form is shown again; the right password still works.
	chromeDo(t, chrome, "right password", fillLogin("alice@example.com", "alice-password"))
	waitChromeText(t, chrome, "Logged in")
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("login: exit %d\n%s", r.Code, r.Stderr)
	}
}

func TestBrowserSignupThenProfile(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	chrome := newChrome(t)
	u := newUser(t, sb)
	bg := u.start("signup", "--no-browser", "--port", "0")
	authURL := bg.WaitStderr(t, loginURL)
	if !strings.Contains(authURL, "screen_hint=signup") || !strings.Contains(authURL, "prompt=create") {
		t.Errorf("signup URL lacks screen_hint=signup or prompt=create: %s", authURL)
	}
	chromeDo(t, chrome, "sign up",
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Carol Newuser"),
		chromedp.SendKeys(chromedp.CSS("#email"), "carol@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "carol-password-1"),
		chromedp.Click(chromedp.CSS("#submit")),
	)
	waitChromeText(t, chrome, "Logged in")
	if r := bg.Wait(t); r.Code != 0 || !strings.Contains(r.Stderr, "carol@example.com") {
		t.Fatalf("signup: exit %d\n%s", r.Code, r.Stderr)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(u.mustRun("profile", "-o", "json").Stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p["email"] != "carol@example.com" || p["name"] != "Carol Newuser" {
		t.Errorf("new user's profile = %v", p)
	}
	if got := u.mustRun("messages", "protected").Stdout; !strings.Contains(got, "protected") {
		t.Errorf("new user's protected message = %q", got)
	}
	if r := u.run("messages", "admin"); r.Code != 5 {
		t.Errorf("new user's admin message: exit %d, want 5", r.Code)
	}
}

func TestBrowserLogoutEndsProviderSession(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	chrome := newChrome(t)
	u := newUser(t, sb)
	bg := u.start("login", "--no-browser", "--port", "0")
	chromeLogin(t, chrome, bg.WaitStderr(t, loginURL), "alice@example.com", "alice-password")
	bg.Wait(t)

	// While the provider session lives, a second login needs no password.
	bg = u.start("login", "--no-browser", "--port", "0")
	chromeDo(t, chrome, "log in again", chromedp.Navigate(bg.WaitStderr(t, loginURL)))
	waitChromeText(t, chrome, "Logged in")
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("second login: exit %d\n%s", r.Code, r.Stderr)
	}

	r := u.mustRun("logout")
	logoutURL := regexpFind(t, `(http://\S+/end_session\?\S+)`, r.Stderr)
	// The printed URL works as printed: no id_token_hint, so the provider
	// asks the person to confirm, and no post-logout redirect to a port
	// nobody listens on once hello has exited, so the provider's own page
	// says it is done.
	if strings.Contains(logoutURL, "post_logout_redirect_uri") {
		t.Errorf("printed logout URL redirects back to hello, which is gone: %s", logoutURL)
	}
	chromeDo(t, chrome, "end the provider session",
		chromedp.Navigate(logoutURL),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#logout")),
	)
	waitChromeText(t, chrome, "You are logged out")

	// Now the provider asks for the password again.
	loginAsksPassword(t, chrome, u)
}

func TestBrowserDeviceFlow(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	chrome := newChrome(t)
	u := newUser(t, sb)
	bg := u.start("login", "--device")
	code := bg.WaitStderr(t, regexp.MustCompile(`enter the code (\S+)`))
	verify := bg.WaitStderr(t, regexp.MustCompile(`open (\S+) and enter the code`))
	chromeDo(t, chrome, "type the user code",
		chromedp.Navigate(verify),
		chromedp.WaitVisible(chromedp.CSS("#user_code")),
		chromedp.SendKeys(chromedp.CSS("#user_code"), code),
		chromedp.Click(chromedp.CSS("#submit")),
		fillLogin("alice@example.com", "alice-password"),
		chromedp.WaitVisible(chromedp.CSS("#approve")),
		chromedp.Click(chromedp.CSS("#approve")),
	)
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("device login: exit %d\n%s", r.Code, r.Stderr)
	}
	if got := u.mustRun("messages", "admin").Stdout; !strings.Contains(got, "admin") {
		t.Errorf("admin message after device login = %q", got)
	}
}

// TestBrowserLogoutFromATerminal runs `hello logout` as a person at a
// terminal does: hello opens the browser ($BROWSER) on its local page, which
// posts the ID token hint to the provider's end_session endpoint, and the
// provider sends the browser back to hello's "logged out" page.
func TestBrowserLogoutFromATerminal(t *testing.T) {
	t.Parallel()
	needScript(t)
	sb := startSandbox(t)
	chrome := newChrome(t)
	u := newUser(t, sb)
	bg := u.start("login", "--no-browser", "--port", "0")
	chromeLogin(t, chrome, bg.WaitStderr(t, loginURL), "alice@example.com", "alice-password")
	bg.Wait(t)

	// $BROWSER hands the URL to the test, which opens it in Chromium.
	opened := filepath.Join(u.home, "opened-url")
	launcher := filepath.Join(u.home, "browser")
	if err := os.WriteFile(launcher, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+opened+".tmp && mv "+opened+".tmp "+opened+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	u.setenv("BROWSER", launcher)
	logout := u.startProgram("script", "-qec", helloBin+" logout --port 0", "/dev/null")
	startURL := waitFile(t, opened)
	if strings.Contains(startURL, "id_token_hint") || !strings.HasPrefix(startURL, "http://localhost:") {
		t.Fatalf("hello opened %q, want its own local logout page", startURL)
	}
	chromeDo(t, chrome, "log out", chromedp.Navigate(startURL))
	waitChromeText(t, chrome, "You are logged out")
	if r := logout.Wait(t); r.Code != 0 || strings.Contains(r.Stdout, "eyJ") {
		t.Fatalf("logout: exit %d\n%s", r.Code, r.Stdout)
	}
	// The page is hello's own, on the post-logout redirect, not an error
	// page of the provider.
	loc, err := chromedp.Run(chrome, chromedp.Location())
	if err != nil || loc != startURL[:strings.Index(startURL, "/logout/")+1] {
		t.Errorf("browser ended at %q (%v), want hello's logged-out page", loc, err)
	}

	// The provider session is gone: the next login asks for the password.
	loginAsksPassword(t, chrome, u)
}

// loginAsksPassword logs u in as alice in chrome, requiring that the
// provider shows its password form (no provider session survived).
func loginAsksPassword(t *testing.T, chrome context.Context, u *user) {
	t.Helper()
	bg := u.start("login", "--no-browser", "--port", "0")
	chromeDo(t, chrome, "log in after logout",
		chromedp.Navigate(bg.WaitStderr(t, loginURL)),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		fillLogin("alice@example.com", "alice-password"),
	)
	waitChromeText(t, chrome, "Logged in")
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("login after logout: exit %d\n%s", r.Code, r.Stderr)
	}
}

// waitFile waits until path exists and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		<-tick.C
	}
	t.Fatalf("%s never appeared", path)
	return ""
}
