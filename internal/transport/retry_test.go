package transport

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// flaky answers with the given statuses in turn, then 200 "ok"; it counts
// the requests it saw.
func flaky(t *testing.T, header http.Header, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[i])
			io.WriteString(w, "attempt "+string(rune('1'+i)))
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	for _, code := range []int{429, 502, 503, 504} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			ts, n := flaky(t, nil, code, code)
			fs := &fakeSleep{}
			c := mustNew(t, Options{Sleep: fs.sleep, Rand: func() float64 { return 0.5 }})
			resp, err := get(t, c, context.Background(), ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "ok" {
				t.Errorf("got %d %q, want 200 ok", resp.StatusCode, body)
			}
			if got := n.Load(); got != 3 {
				t.Errorf("server saw %d requests, want 3", got)
			}
			want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} // half of 200ms, 400ms
			if diff := cmp.Diff(want, fs.recorded()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoRetryOnOtherStatuses(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 401, 403, 404, 500, 501} {
		ts, n := flaky(t, nil, code)
		fs := &fakeSleep{}
		c := mustNew(t, Options{Sleep: fs.sleep})
		resp, err := get(t, c, context.Background(), ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code || n.Load() != 1 || len(fs.recorded()) != 0 {
			t.Errorf("%d: got status %d after %d requests, %d waits; want no retry", code, resp.StatusCode, n.Load(), len(fs.recorded()))
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{
		{"2", 2 * time.Second},
		{"0", 0},
		{"3600", 30 * time.Second}, // capped
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			ts, n := flaky(t, http.Header{"Retry-After": {tc.value}}, 503)
			fs := &fakeSleep{}
			c := mustNew(t, Options{Sleep: fs.sleep, Timeout: -1})
			resp, err := get(t, c, context.Background(), ts.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || n.Load() != 2 {
				t.Errorf("got %d after %d requests, want 200 after 2", resp.StatusCode, n.Load())
			}
			if diff := cmp.Diff([]time.Duration{tc.want}, fs.recorded()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGiveUpReturnsLastResponse(t *testing.T) {
	t.Parallel()
	ts, n := flaky(t, nil, 503, 503, 503, 503, 503)
	fs := &fakeSleep{}
	c := mustNew(t, Options{Sleep: fs.sleep, MaxRetries: 2})
	resp, err := get(t, c, context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(body) != "attempt 3" {
		t.Errorf("got %d %q, want the last answer: 503 %q", resp.StatusCode, body, "attempt 3")
	}
	if got := n.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 1 + MaxRetries = 3", got)
	}
	if got := len(fs.recorded()); got != 2 {
		t.Errorf("%d waits, want 2", got)
	}
}

func TestRetriesDisabled(t *testing.T) {
	t.Parallel()
	ts, n := flaky(t, nil, 503)
	c := mustNew(t, Options{MaxRetries: -1})
	resp, err := get(t, c, context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || n.Load() != 1 {
		t.Errorf("got %d after %d requests, want 503 after 1", resp.StatusCode, n.Load())
	}
}

func TestRequestsWithBodyNotRetried(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			ts, n := flaky(t, nil, 503)
			fs := &fakeSleep{}
			c := mustNew(t, Options{Sleep: fs.sleep})
			req, err := http.NewRequest(method, ts.URL, strings.NewReader("grant_type=refresh_token"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 || n.Load() != 1 || len(fs.recorded()) != 0 {
				t.Errorf("got %d after %d requests, want 503 after 1", resp.StatusCode, n.Load())
			}
		})
	}
}

func TestConnectionErrorsFailFast(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there now: connection refused
	fs := &fakeSleep{}
	c := mustNew(t, Options{Sleep: fs.sleep})
	if _, err := get(t, c, context.Background(), url); err == nil {
		t.Fatal("want an error")
	}
	if got := len(fs.recorded()); got != 0 {
		t.Errorf("%d waits, want no retry of a connection error", got)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	t.Parallel()
	ts, n := flaky(t, nil, 503, 503, 503)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := mustNew(t, Options{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel() // the user pressed Ctrl-C during the wait
		<-ctx.Done()
		return ctx.Err()
	}})
	_, err := get(t, c, ctx, ts.URL)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

// TestRealSleepHonoursContext runs the real timer for a 20-second
// Retry-After and cancels the context as the wait starts (Ctrl-C during
// the wait): the timer itself must give up with context.Canceled. Were it
// deaf to the context, it would return nil, 20 seconds later.
func TestRealSleepHonoursContext(t *testing.T) {
	t.Parallel()
	if reflect.ValueOf(Options{}.withDefaults().Sleep).Pointer() != reflect.ValueOf(sleep).Pointer() {
		t.Fatal("the default Sleep is not the real timer")
	}
	ts, n := flaky(t, http.Header{"Retry-After": {"20"}}, 503)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		asked    time.Duration
		sleepErr error
	)
	c := mustNew(t, Options{Timeout: -1, Sleep: func(ctx context.Context, d time.Duration) error {
		asked = d
		cancel()
		sleepErr = sleep(ctx, d)
		return sleepErr
	}})
	_, err := get(t, c, ctx, ts.URL)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if asked != 20*time.Second || !errors.Is(sleepErr, context.Canceled) {
		t.Errorf("sleep(%v) = %v, want sleep(20s) = context.Canceled", asked, sleepErr)
	}
	if n.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", n.Load())
	}
}

// TestRealSleepEnds checks the other half of the real timer: a wait that
// is over returns nil while the context is still live.
func TestRealSleepEnds(t *testing.T) {
	t.Parallel()
	if err := sleep(context.Background(), 0); err != nil {
		t.Errorf("sleep(0) = %v, want nil", err)
	}
}

func TestWaitBeyondDeadlineReturnsAnswer(t *testing.T) {
	t.Parallel()
	ts, n := flaky(t, http.Header{"Retry-After": {"10"}}, 503)
	fs := &fakeSleep{}
	c := mustNew(t, Options{Sleep: fs.sleep, Timeout: time.Second})
	resp, err := get(t, c, context.Background(), ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 503 || string(body) != "attempt 1" {
		t.Errorf("got %d %q %v, want the 503 at once", resp.StatusCode, body, err)
	}
	if n.Load() != 1 || len(fs.recorded()) != 0 {
		t.Errorf("%d requests, %d waits; want 1 and 0", n.Load(), len(fs.recorded()))
	}
}

func TestBackoffBounded(t *testing.T) {
	t.Parallel()
	for attempt := range 70 {
		ceiling := backoffCap
		if attempt < 5 {
			ceiling = min(backoffCap, backoffBase*time.Duration(1<<attempt))
		}
		for _, r := range []float64{0, 0.25, 0.5, 0.999999, 1, 7, -1, math.NaN(), math.Inf(1)} {
			d := backoff(attempt, r)
			if d < 0 || d > ceiling || d > backoffCap {
				t.Errorf("backoff(%d, %v) = %v, want within [0, %v]", attempt, r, d, ceiling)
			}
		}
	}
	if got := backoff(0, 0.999999); got < 199*time.Millisecond {
		t.Errorf("backoff(0, ~1) = %v, want about the 200ms base", got)
	}
	if got := backoff(10, 0.999999); got < 4990*time.Millisecond {
		t.Errorf("backoff(10, ~1) = %v, want about the 5s cap", got)
	}
}
