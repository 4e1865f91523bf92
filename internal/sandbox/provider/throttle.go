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

// begin reserves a password check for email from addr, or reports how
// long to wait: while either is locked out, and also while as many checks
// are running as failures are left before the lockout. Counting only
// finished checks would let guesses sent all at once (bcrypt takes a
// while) all be checked before the first failure is recorded. Every begin
// that went through is followed by failed or succeeded.
func (t *loginThrottle) begin(email, addr string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	account := accountKey(email)
	wait := max(t.accounts.busyFor(account, now), t.addrs.busyFor(addr, now))
	if wait > 0 {
		return wait, true
	}
	t.accounts.reserve(account, now)
	t.addrs.reserve(addr, now)
	return 0, false
}

// failed records a wrong password and returns the lockout it starts, if any.
func (t *loginThrottle) failed(email, addr string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	account := accountKey(email)
	t.accounts.release(account)
	t.addrs.release(addr)
	return max(t.accounts.fail(account, now), t.addrs.fail(addr, now))
}

// succeeded forgets the account's failures. The address keeps its count:
// otherwise logging in to one's own account between guesses would reset it.
func (t *loginThrottle) succeeded(email, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accounts.forget(accountKey(email))
	t.addrs.release(addr)
}

// failureCounts is one table of counters, least recently failing first.
type failureCounts struct {
	limit int
	byKey map[string]*list.Element // of *failures
	lru   *list.List
}

type failures struct {
	key     string
	n       int
	running int // checks begun and not finished
	last    time.Time
	until   time.Time // locked until
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

// busyFor returns how long key must wait before another check: the rest
// of its lockout, or a second while the checks running could use up the
// failures left (after a lockout that is one: the next failure locks
// again).
func (c *failureCounts) busyFor(key string, now time.Time) time.Duration {
	f := c.get(key, now)
	switch {
	case f == nil:
		return 0
	case now.Before(f.until):
		return f.until.Sub(now)
	case f.running >= max(c.limit-f.n, 1):
		return time.Second
	}
	return 0
}

// reserve counts a check begun for key.
func (c *failureCounts) reserve(key string, now time.Time) {
	f := c.entry(key, now)
	f.running++
	f.last = now
}

// release counts a check of key finished. A key forgotten meanwhile (the
// table was full) has nothing to release.
func (c *failureCounts) release(key string) {
	if e, ok := c.byKey[key]; ok {
		if f := e.Value.(*failures); f.running > 0 {
			f.running--
		}
	}
}

// entry returns key's counters, made if need be, as the most recent.
func (c *failureCounts) entry(key string, now time.Time) *failures {
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
	return f
}

func (c *failureCounts) fail(key string, now time.Time) time.Duration {
	f := c.entry(key, now)
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
