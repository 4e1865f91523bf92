package provider

import (
	"sync"
	"time"
)

// signupLimiter caps how many accounts are made per minute, for everyone
// together: on loopback every caller has the same address, so a limit per
// address would not hold a script back.
type signupLimiter struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	start time.Time
	n     int
}

// blocked reports whether the window's sign-ups are used up, and when the
// next window begins.
func (l *signupLimiter) blocked(now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start, l.n = now, 0
	}
	if l.n >= l.limit {
		return l.start.Add(l.window).Sub(now), true
	}
	return 0, false
}

// attempt counts a sign-up that got as far as hashing its password.
func (l *signupLimiter) attempt(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start, l.n = now, 0
	}
	l.n++
}
