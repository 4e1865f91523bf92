package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

// fetch GETs u with c and returns the final URL and body.
func fetch(t testing.TB, c *http.Client, u string) (string, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return readPage(t, resp)
}

// submit posts f (relative to base) with c and returns the final URL and body.
func submit(t testing.TB, c *http.Client, base string, f form) (string, string) {
	t.Helper()
	action, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	target, err := action.Parse(f.Action)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.PostForm(target.String(), f.Values)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	return readPage(t, resp)
}

func readPage(t testing.TB, resp *http.Response) (string, string) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Request.URL.String(), string(body)
}

// httpLogin plays the browser for a login URL printed by hello: it opens
// the URL, signs in on the sandbox's form (unless the provider session
// makes that unnecessary) and follows the redirects back to hello's
// loopback server, returning the final page.
func httpLogin(t testing.TB, c *http.Client, authURL, email, password string) string {
	t.Helper()
	pageURL, page := fetch(t, c, authURL)
	if strings.Contains(page, `name="password"`) {
		f := parseForm(t, page, "password")
		f.Values.Set("username", email)
		f.Values.Set("password", password)
		pageURL, page = submit(t, c, pageURL, f)
	}
	if !strings.HasPrefix(pageURL, "http://localhost:") {
		t.Fatalf("login did not reach hello's callback; ended at %s:\n%s", pageURL, page)
	}
	return page
}

// chromium returns the path of the Chromium binary, skipping the test when
// there is none, except under CI (see mustRunHere), which installs it and
// so fails instead.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if harness.MustRun(os.Getenv("CI")) {
		t.Fatal("chromium is not installed, and CI must run the browser tests")
	}
	t.Skip("chromium is not installed")
	return ""
}

// newChrome starts a headless Chromium with a fresh profile. The browser
// lives as long as the test.
func newChrome(t testing.TB) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first call starts the browser: it must not carry a timeout, or
	// the timeout would stop the browser with it.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// chromeDo runs steps with a deadline.
func chromeDo(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s in chromium: %v; the page shows:\n%s", what, err, chromeText(t, ctx))
	}
}

// chromeText returns the page's visible text.
func chromeText(t testing.TB, ctx context.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(cannot read the page: %v)", err)
	}
	return text
}

// chromeLogin opens authURL in Chromium and signs in on the sandbox's page,
// waiting (with a deadline, no sleeps) for hello's success page.
func chromeLogin(t testing.TB, ctx context.Context, authURL, email, password string) {
	t.Helper()
	chromeDo(t, ctx, "log in", chromedp.Navigate(authURL), fillLogin(email, password))
	waitChromeText(t, ctx, "Logged in")
}

// fillLogin types the credentials into the sandbox's login form and submits it.
func fillLogin(email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.Clear(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#submit")),
	)
}

// waitChromeText waits until the page's text contains want. The page may
// be navigating (redirects, form posts), so errors while it does are
// retried until the deadline.
func waitChromeText(t testing.TB, ctx context.Context, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		found, err := chromedp.Run(ectx, chromedp.Evaluate[bool](
			`!!document.body && document.body.innerText.includes(`+jsString(want)+`)`))
		cancel()
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("page never showed %q (last error: %v); it shows:\n%s", want, err, chromeText(t, ctx))
		}
		<-tick.C
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// regexpFind returns the first submatch of expr in s.
func regexpFind(t testing.TB, expr, s string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", expr, s)
	}
	return m[1]
}
