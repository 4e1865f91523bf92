package interop

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser plays a person's browser over HTTP on the provider's pages
// (oidc-provider's development login, consent, device and logout forms).
// It follows redirects on the provider's origin and stops at the first one
// that leaves it (the redirect to hello's loopback callback), so a test can
// look at, or tamper with, what the provider sends back.
type browser struct {
	t      *testing.T
	c      *http.Client
	origin string // scheme://host:port of the provider
}

func newBrowser(t *testing.T, issuer string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(issuer)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, origin: u.Scheme + "://" + u.Host}
	b.c = &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 20 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme+"://"+req.URL.Host != b.origin {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return b
}

// page is where the browser ended up: a page on the provider, or a
// redirect away from it (Left set).
type page struct {
	URL  string
	Body string
	Left string // the URL of a redirect that leaves the provider
}

// get loads u. A URL off the provider (hello's callback) is loaded too.
func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	return b.read(resp)
}

func (b *browser) post(action string, values url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(action, values)
	if err != nil {
		b.t.Fatalf("POST %s: %v", action, err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) page {
	b.t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{URL: resp.Request.URL.String(), Body: string(body)}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		p.Left = next.String()
	}
	return p
}

// signIn opens u and answers the provider's forms as the person would:
// the login form (as login, with any password: the development form checks
// none), consent, the device code confirmation and the logout question. It
// returns the first redirect off the provider, or the last page when the
// forms end on the provider (the device flow's and logout's success pages).
func (b *browser) signIn(u, login string) page {
	b.t.Helper()
	p := b.get(u)
	for range 10 {
		if p.Left != "" {
			return p
		}
		f, ok := nextForm(p.Body)
		if !ok {
			return p
		}
		switch {
		case f.has("login"):
			f.Values.Set("login", login)
			f.Values.Set("password", "any-password")
		case f.ID == "op.logoutForm":
			f.Values.Set("logout", "yes")
		}
		action, err := url.Parse(p.URL)
		if err != nil {
			b.t.Fatal(err)
		}
		target, err := action.Parse(f.Action)
		if err != nil {
			b.t.Fatal(err)
		}
		p = b.post(target.String(), f.Values)
	}
	b.t.Fatalf("the provider's forms did not end; last page %s:\n%s", p.URL, p.Body)
	return p
}

var (
	formRe  = regexp.MustCompile(`(?is)<form([^>]*)>(.*?)</form>`)
	inputRe = regexp.MustCompile(`(?is)<input[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)([\w-]+)="([^"]*)"`)
)

// form is an HTML form as a browser would submit it.
type form struct {
	ID     string
	Action string
	Values url.Values
}

func (f form) has(field string) bool {
	_, ok := f.Values[field]
	return ok
}

func attrs(tag string) map[string]string {
	out := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(tag, -1) {
		out[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return out
}

// nextForm is the page's first form that posts somewhere.
func nextForm(body string) (form, bool) {
	for _, m := range formRe.FindAllStringSubmatch(body, -1) {
		fa := attrs(m[1])
		if fa["action"] == "" || !strings.EqualFold(fa["method"], "post") {
			continue
		}
		values := url.Values{}
		for _, in := range inputRe.FindAllString(m[2], -1) {
			a := attrs(in)
			if a["name"] != "" {
				values.Set(a["name"], a["value"])
			}
		}
		return form{ID: fa["id"], Action: fa["action"], Values: values}, true
	}
	return form{}, false
}
