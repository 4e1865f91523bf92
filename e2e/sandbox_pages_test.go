package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// In a real browser, a wrong password leaves the email filled in and puts
// the cursor in the password field; the page names the application and
// shows the demo accounts.
func TestSandboxLoginPageInBrowser(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	a := newRelyingParty(t, sb)
	chrome := newChrome(t)
	chromeDo(t, chrome, "wrong password", chromedp.Navigate(a.conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))),
		fillLogin("alice@example.com", "wrong-password"))
	waitChromeText(t, chrome, "Wrong email or password.")
	for _, want := range []string{"to continue to hello-cli", "bob@example.com / bob-password"} {
		waitChromeText(t, chrome, want)
	}
	ctxt, cancel := context.WithTimeout(chrome, 10*time.Second)
	defer cancel()
	focused, err := chromedp.Run(ctxt, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil || focused != "password" {
		t.Errorf("focus after a wrong password: %q (%v), want the password field", focused, err)
	}
	email, err := chromedp.Run(ctxt, chromedp.Evaluate[string](`document.getElementById("username").value`))
	if err != nil || email != "alice@example.com" {
		t.Errorf("email after a wrong password: %q (%v)", email, err)
	}
}
