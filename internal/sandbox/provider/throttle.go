package provider

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// Password-guessing limits, as Auth0's brute-force protection: after
// maxAccountFailures wrong passwords for one account, or maxAddrFailures
// from one address, every further attempt is refused for a delay that
// doubles with each failure after that, right password included, so that
// guessing cannot go on and only the misses be refused.
const (
	maxAccountFailures = 5
	maxAddrFailures    = 20
	firstLockout       = 30 * time.Second
	maxLockout         = time.Hour
	// forgetAfter is how long after its lockout ends a counter is kept.
	forgetAfter = time.Hour
	// maxTracked bounds each table; past it the least recently failing
	// key is forgotten.
	maxTracked = 10_000
)

// loginThrottle counts failed passwords per account (the email as typed,
// known or not, so that being throttled tells nothing about which accounts
// exist) and per client address.
type loginThrottle struct {
	mu       sync.Mutex
	accounts *failureCounts
	addrs    *failureCounts
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{
		accounts: newFailureCounts(maxAccountFailures),
		addrs:    newFailureCounts(maxAddrFailures),
	}
}

// accountKey is how an account is counted: as authenticate looks it up.
func accountKey(email string) string {
	k := strings.ToLower(strings.TrimSpace(email))
	if len(k) > 254 {
		k = k[:254]
	}
	return k
}

// blocked reports whether a login attempt must be refused, and for how long.
func (t *loginThrottle) blocked(email, addr string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wait := max(t.accounts.lockedFor(accountKey(email), now), t.addrs.lockedFor(addr, now))
	return wait, wait > 0
}

// failed records a wrong password and returns the lockout it starts, if any.
func (t *loginThrottle) failed(email, addr string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.accounts.fail(accountKey(email), now), t.addrs.fail(addr, now))
}

// succeeded forgets the account's failures. The address keeps its count:
// otherwise logging in to one's own account between guesses would reset it.
func (t *loginThrottle) succeeded(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accounts.forget(accountKey(email))
}

// failureCounts is one table of counters, least recently failing first.
type failureCounts struct {
	limit int
	byKey map[string]*list.Element // of *failures
	lru   *list.List
}

type failures struct {
	key   string
	n     int
	last  time.Time
	until time.Time // locked until
}

func newFailureCounts(limit int) *failureCounts {
	return &failureCounts{limit: limit, byKey: map[string]*list.Element{}, lru: list.New()}
}

func (c *failureCounts) get(key string, now time.Time) *failures {
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	f := e.Value.(*failures)
	end := f.last
	if f.until.After(end) {
		end = f.until
	}
	if now.Sub(end) > forgetAfter {
		c.forget(key)
		return nil
	}
	return f
}

func (c *failureCounts) lockedFor(key string, now time.Time) time.Duration {
	if f := c.get(key, now); f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

func (c *failureCounts) fail(key string, now time.Time) time.Duration {
	f := c.get(key, now)
	if f == nil {
		if c.lru.Len() >= maxTracked {
			c.forget(c.lru.Front().Value.(*failures).key)
		}
		f = &failures{key: key}
		c.byKey[key] = c.lru.PushBack(f)
	} else {
		c.lru.MoveToBack(c.byKey[key])
	}
	f.n++
	f.last = now
	if f.n < c.limit {
		return 0
	}
	d := firstLockout << min(f.n-c.limit, 10)
	d = min(d, maxLockout)
	f.until = now.Add(d)
	return d
}

func (c *failureCounts) forget(key string) {
	if e, ok := c.byKey[key]; ok {
		c.lru.Remove(e)
		delete(c.byKey, key)
	}
}
