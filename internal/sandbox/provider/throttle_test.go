package provider

import (
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// loginPage opens a sign-in in a new browser and returns it with the
// login form.
func loginPage(t *testing.T, s *testIDP) (*browser, page) {
	t.Helper()
	b := newBrowser(t, s)
	p := b.get(newPKCE().authURL(s.oauthConfig()))
	if !strings.Contains(p.body, `id="password"`) {
		t.Fatalf("no login form: %d\n%s", p.status, p.body)
	}
	return b, p
}

func wantThrottled(t *testing.T, p page, retry string) {
	t.Helper()
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != retry {
		t.Fatalf("want 429 with Retry-After %s, got %d %q:\n%s", retry, p.status, p.header.Get("Retry-After"), p.body)
	}
	if !strings.Contains(p.body, "Too many failed attempts") || !strings.Contains(p.body, `id="password"`) {
		t.Errorf("throttled page lacks the explanation or the form:\n%s", p.body)
	}
}

// Five wrong passwords lock the account for 30s, the right password
// included; the next failure after that doubles the delay; a success
// resets the count. Other accounts are not affected.
func TestLoginThrottledPerAccount(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b, p := loginPage(t, s)
	for i := range maxAccountFailures {
		p = b.login(p, AliceEmail, "wrong-password")
		if p.status != http.StatusOK || !strings.Contains(p.body, msgWrongCredentials) {
			t.Fatalf("failure %d: %d\n%s", i+1, p.status, p.body)
		}
	}
	if !strings.Contains(p.body, "Try again in 30 seconds") {
		t.Errorf("the failure that starts the delay does not say so:\n%s", p.body)
	}
	p = b.login(p, AliceEmail, AlicePassword)
	wantThrottled(t, p, "30")
	if !strings.Contains(p.body, `value="`+AliceEmail+`"`) {
		t.Errorf("the form lost the email:\n%s", p.body)
	}

	// Another account signs in meanwhile, from another browser.
	b2, p2 := loginPage(t, s)
	if q := callback(t, b2.login(p2, BobEmail, BobPassword)); q.Get("code") == "" {
		t.Errorf("bob during alice's lockout: %v", q)
	}

	s.clock.Advance(29 * time.Second)
	wantThrottled(t, b.login(p, AliceEmail, AlicePassword), "1")
	s.clock.Advance(time.Second)
	// One more failure: the delay doubles.
	p = b.login(p, AliceEmail, "wrong-again")
	if !strings.Contains(p.body, "Try again in 60 seconds") {
		t.Errorf("sixth failure:\n%s", p.body)
	}
	wantThrottled(t, b.login(p, AliceEmail, AlicePassword), "60")
	s.clock.Advance(60 * time.Second)
	if q := callback(t, b.login(p, AliceEmail, AlicePassword)); q.Get("code") == "" {
		t.Fatalf("right password after the delay: %v", q)
	}
	// The success reset the count: four failures lock nothing.
	b, p = loginPage(t, s)
	for range maxAccountFailures - 1 {
		p = b.login(p, AliceEmail, "wrong-password")
	}
	if q := callback(t, b.login(p, AliceEmail, AlicePassword)); q.Get("code") == "" {
		t.Errorf("after a reset and four failures: %v", q)
	}
}

// An unknown email is throttled exactly as a known one, so the lockout
// does not tell which accounts exist.
func TestLoginThrottleSameForUnknownEmail(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b, p := loginPage(t, s)
	for range maxAccountFailures {
		p = b.login(p, "nobody@example.com", "whatever")
	}
	wantThrottled(t, b.login(p, "Nobody@Example.com", "whatever"), "30")
}

// Twenty failures from one address, spread over many emails, lock that
// address out, right passwords included.
func TestLoginThrottledPerAddress(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	b, p := loginPage(t, s)
	for i := range maxAddrFailures {
		p = b.login(p, fmt.Sprintf("guess%d@example.com", i), "password")
		if p.status != http.StatusOK {
			t.Fatalf("failure %d: %d", i+1, p.status)
		}
	}
	wantThrottled(t, b.login(p, BobEmail, BobPassword), "30")
	s.clock.Advance(30 * time.Second)
	if q := callback(t, b.login(p, BobEmail, BobPassword)); q.Get("code") == "" {
		t.Errorf("after the delay: %v", q)
	}
}

// Guesses sent all at once must not overtake the count: each password
// check is reserved before it runs, so no more than the limit are checked
// before the lockout, and the right password afterwards is refused.
func TestLoginThrottleHoldsUnderConcurrentGuesses(t *testing.T) {
	t.Parallel()
	// A realistic bcrypt cost keeps the checks running long enough to
	// overlap, which is what an attacker relies on.
	s := startIDP(t, func(c *Config) { c.PasswordCost = 8 })
	b, p := loginPage(t, s)
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	form.Set("username", AliceEmail)
	const guesses = 30
	statuses := make(chan string, guesses)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			f := maps.Clone(form)
			f.Set("password", fmt.Sprintf("guess-%d", i))
			<-start
			resp, err := b.client.PostForm(s.url+loginPath, f)
			if err != nil {
				statuses <- err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusTooManyRequests:
				statuses <- "refused"
			case strings.Contains(string(body), msgWrongCredentials):
				statuses <- "checked"
			default:
				statuses <- fmt.Sprintf("%d", resp.StatusCode)
			}
		})
	}
	close(start)
	wg.Wait()
	close(statuses)
	counts := map[string]int{}
	for st := range statuses {
		counts[st]++
	}
	if counts["checked"] > maxAccountFailures || counts["checked"]+counts["refused"] != guesses {
		t.Errorf("%d concurrent guesses: %v; want at most %d checked, the rest refused with 429", guesses, counts, maxAccountFailures)
	}
	// The lockout is the first one, 30s (less the time the guesses took).
	p = b.login(p, AliceEmail, AlicePassword)
	if retry, _ := strconv.Atoi(p.header.Get("Retry-After")); p.status != http.StatusTooManyRequests || retry < 1 || retry > 30 {
		t.Errorf("right password after the guesses: %d, Retry-After %q; want 429 within the first lockout", p.status, p.header.Get("Retry-After"))
	}
}
