package oidcclient

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func newClient(t *testing.T, op *fakeOP, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Issuer: op.issuer, ClientID: testClientID}
	for _, e := range edit {
		e(&cfg)
	}
	if cfg.Now == nil && cfg.after == nil {
		// Device-flow polls wait on this clock: they pass at once.
		newStepClock().install(&cfg)
	}
	c, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// followBrowser is a test browser: it GETs the URL and follows the
// provider's redirect to the loopback server, as a real browser would after
// the user signs in.
func followBrowser(u string) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// noFollow GETs u without following redirects and returns Location.
func noFollow(t *testing.T, u string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// syncBuffer is an io.Writer for Stderr that tests may read while a flow
// runs, and that hands printed login URLs to a channel.
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	urls chan string
}

var printedURL = regexp.MustCompile(`Open this URL to log in: (\S+)`)

func newSyncBuffer() *syncBuffer { return &syncBuffer{urls: make(chan string, 4)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m := printedURL.FindSubmatch(p); m != nil {
		b.urls <- string(m[1])
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// assertNoSecrets fails when any of the values appears in s.
func assertNoSecrets(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			t.Errorf("%s contains a secret value %q", what, v)
		}
	}
}

// bearerClient sends tok with every request, as the session's client does.
func bearerClient(tok string) *http.Client {
	return &http.Client{Transport: bearerRT(tok)}
}

type bearerRT string

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func isRetrieveCode(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}

// stepClock is a clock that moves only when the code under test waits on
// it: each wait is recorded and passes at once, so a test checks the waits
// a flow asked for instead of sitting through them.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

// newStepClock starts at the real time: x/oauth2 dates a device code's
// expiry from time.Now.
func newStepClock() *stepClock { return &stepClock{now: time.Now()} }

func (c *stepClock) install(cfg *Config) { cfg.Now, cfg.after = c.Now, c.after }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// waited returns the waits asked for so far.
func (c *stepClock) waited() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}
