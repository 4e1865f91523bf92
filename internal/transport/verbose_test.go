package transport

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a client.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVerboseRedacts(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"access_token":"BODY-TOKEN"}`)
	}))
	defer ts.Close()
	var log syncBuffer
	c := mustNew(t, Options{Verbose: true, Log: &log})

	req, err := http.NewRequest(http.MethodGet, ts.URL+"/callback?code=SECRET-CODE&state=st-123&client_secret=SHHH", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer HEADER-TOKEN")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	out := log.String()
	for _, secret := range []string{"SECRET-CODE", "SHHH", "HEADER-TOKEN", "BODY-TOKEN"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q:\n%s", secret, out)
		}
	}
	line := regexp.MustCompile(`^\* GET http://127\.0\.0\.1:\d+/callback\?code=\[REDACTED\]&state=st-123&client_secret=\[REDACTED\] -> 200 \(\d+\.\dms\)\n$`)
	if !line.MatchString(out) {
		t.Errorf("log = %q, want one line like %s", out, line)
	}
}

func TestVerboseLogsEachAttemptAndErrors(t *testing.T) {
	t.Parallel()
	ts, _ := flaky(t, nil, 503)
	var log syncBuffer
	fs := &fakeSleep{}
	c := mustNew(t, Options{Verbose: true, Log: &log, Sleep: fs.sleep})
	resp, err := get(t, c, context.Background(), ts.URL+"/x?token=T0KEN")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	if _, err := get(t, c, context.Background(), deadURL+"/y?refresh_token=R3FRESH"); err == nil {
		t.Fatal("want a connection error")
	}

	out := log.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("log has %d lines, want 3:\n%s", len(lines), out)
	}
	for i, want := range []string{"-> 503 (", "-> 200 (", "-> error: "} {
		if !strings.HasPrefix(lines[i], "* GET http://") || !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	if strings.Contains(out, "T0KEN") || strings.Contains(out, "R3FRESH") {
		t.Errorf("log leaks a token:\n%s", out)
	}
}

func TestNotVerboseLogsNothing(t *testing.T) {
	t.Parallel()
	ts, _ := flaky(t, nil)
	var log syncBuffer
	c := mustNew(t, Options{Log: &log})
	resp, err := get(t, c, context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if log.String() != "" {
		t.Errorf("log = %q, want nothing without Verbose", log.String())
	}
}
