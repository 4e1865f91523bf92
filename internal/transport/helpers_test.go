package transport

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// fakeSleep records the waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) recorded() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// baseTransport digs the *http.Transport out of the layers New builds.
func baseTransport(t *testing.T, c *http.Client) *http.Transport {
	t.Helper()
	rt := c.Transport
	for {
		switch v := rt.(type) {
		case *retryTransport:
			rt = v.next
		case *logTransport:
			rt = v.next
		case *http.Transport:
			return v
		default:
			t.Fatalf("unexpected transport layer %T", rt)
		}
	}
}

func mustNew(t *testing.T, opts Options) *http.Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t *testing.T, c *http.Client, ctx context.Context, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(req)
}
