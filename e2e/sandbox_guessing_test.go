package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Wrong passwords sent all at once to the real sandbox (real bcrypt cost)
// do not overtake the lockout: at most five are checked, the rest get 429,
// and the right password afterwards is refused too.
func TestSandboxConcurrentGuessesThrottled(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	b := browserClient(t)
	resp, err := b.Get(sb.Issuer + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f := parseForm(t, string(page), "password")
	post := func(password string) (int, string) {
		v := url.Values{}
		for k, vs := range f.Values {
			v[k] = vs
		}
		v.Set("username", "alice@example.com")
		v.Set("password", password)
		resp, err := b.PostForm(sb.Issuer+f.Action, v)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	const guesses = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked, refused := 0, 0
	for i := range guesses {
		wg.Go(func() {
			status, body := post(fmt.Sprintf("guess-%d", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == http.StatusTooManyRequests:
				refused++
			case strings.Contains(body, "Wrong email or password"):
				checked++
			}
		})
	}
	wg.Wait()
	if checked > 5 || checked+refused != guesses {
		t.Errorf("%d concurrent guesses: %d checked, %d refused; want at most 5 checked, the rest refused", guesses, checked, refused)
	}
	if status, body := post("alice-password"); status != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed attempts") {
		t.Errorf("right password after the guesses: %d, want 429 with the explanation", status)
	}
}
