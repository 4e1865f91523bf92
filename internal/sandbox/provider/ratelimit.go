package provider

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Bounds on guessing device user codes. A user code is 8 characters of a
// 20-letter alphabet (about 2.6e10 values) and lives 10 minutes; at 20
// misses a minute per address a guess succeeds with negligible probability.
const (
	maxCodeFailures   = 20
	codeFailureWindow = time.Minute
	// maxLimitedClients bounds the limiter's own table.
	maxLimitedClients = 10_000
)

// failureLimiter counts failed lookups per client address in fixed windows.
// Once an address reaches the limit, every lookup from it is refused until
// its window ends, right answers included: otherwise guessing would go on
// and only the misses would be refused.
type failureLimiter struct {
	limit  int
	window time.Duration

	mu      sync.Mutex
	clients map[string]*failureWindow
}

type failureWindow struct {
	start    time.Time
	failures int
}

func newFailureLimiter(limit int, window time.Duration) *failureLimiter {
	return &failureLimiter{limit: limit, window: window, clients: map[string]*failureWindow{}}
}

// blocked reports whether addr has used up its failures, and when it may
// try again.
func (l *failureLimiter) blocked(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.clients[addr]
	if !ok || now.Sub(w.start) >= l.window {
		if ok {
			delete(l.clients, addr)
		}
		// With the table full of live windows a new address cannot be
		// tracked; refuse it rather than let it guess uncounted.
		if !ok && len(l.clients) >= maxLimitedClients && !l.pruneLocked(now) {
			return l.window, true
		}
		return 0, false
	}
	if w.failures >= l.limit {
		return w.start.Add(l.window).Sub(now), true
	}
	return 0, false
}

// fail records a failed lookup by addr.
func (l *failureLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.clients[addr]
	if !ok || now.Sub(w.start) >= l.window {
		if !ok && len(l.clients) >= maxLimitedClients && !l.pruneLocked(now) {
			return // blocked refuses this address anyway
		}
		w = &failureWindow{start: now}
		l.clients[addr] = w
	}
	w.failures++
}

// pruneLocked drops ended windows and reports whether there is room.
func (l *failureLimiter) pruneLocked(now time.Time) bool {
	for addr, w := range l.clients {
		if now.Sub(w.start) >= l.window {
			delete(l.clients, addr)
		}
	}
	return len(l.clients) < maxLimitedClients
}

// clientAddr is the address failures are counted against: the TCP peer's
// IP. Forwarding headers are ignored; anyone could set them.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// tooManyAttempts answers a client that is over the failure limit.
func (p *Provider) tooManyAttempts(w http.ResponseWriter, retry time.Duration) {
	secs := max(int((retry+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	p.message(w, http.StatusTooManyRequests, "Too many attempts",
		"Too many wrong or expired codes were entered from this computer. Wait a minute, then try again.")
}
