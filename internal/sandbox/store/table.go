package store

import "time"

// table holds entries that all live the same time, so insertion order is
// expiry order. Expired entries are dropped from the front of a queue, a
// constant amount of work per insertion on average, never a sweep of the
// whole table; each owner (a client or a user) has its own count and queue,
// so a full share is recognised, and its earliest expiry found, in O(1).
//
// A table is not safe for concurrent use; Store guards its tables with mu.
type table[V any] struct {
	ttl      time.Duration
	limit    int // all owners together
	perOwner int

	entries map[string]*slot[V]
	order   queue // every key, oldest first
	owners  map[string]*owner
	// byCount lists the owners by how many entries they hold, and maxN is
	// the most anyone holds, so the biggest holder is found in O(1):
	// counts move by one, so maxN does too.
	byCount map[int]*owner
	maxN    int
	// onDrop, if set, is called for every entry deleted or expired, to
	// clean up indexes that point at it.
	onDrop func(key string, v V)

	// used, if set, tells entries somebody has started to use (a login
	// page shown, a user code typed) from those nobody has touched yet.
	// Untouched entries cost a flood nothing to make, so a full share
	// makes room by dropping its oldest untouched one (evictUnused)
	// instead of refusing the person who is actually signing in.
	used   func(v V) bool
	unused queue // keys possibly still unused, oldest first
}

type slot[V any] struct {
	v       V
	owner   string
	expires time.Time
}

type owner struct {
	n      int   // live entries
	order  queue // the owner's keys, oldest first; may hold deleted ones
	unused queue // the owner's possibly unused keys (see table.used)
	// prev and next link the owners holding n entries (table.byCount).
	prev, next *owner
}

// queue is a FIFO of keys with their expiry. Deleted keys stay until they
// reach the front or a compaction drops them.
type queue struct {
	items []queued
	head  int
}

type queued struct {
	key     string
	expires time.Time
}

func (q *queue) push(key string, expires time.Time) { q.items = append(q.items, queued{key, expires}) }
func (q *queue) len() int                           { return len(q.items) - q.head }
func (q *queue) front() queued                      { return q.items[q.head] }

func (q *queue) pop() {
	q.items[q.head] = queued{}
	q.head++
	if q.head > 64 && q.head*2 >= len(q.items) {
		q.items = append([]queued(nil), q.items[q.head:]...)
		q.head = 0
	}
}

// compact drops the keys live no longer reports, once they are most of the
// queue: amortised O(1) per deletion.
func (q *queue) compact(live int, isLive func(queued) bool) {
	if q.len() < 2*live+64 {
		return
	}
	kept := make([]queued, 0, 2*live)
	for _, it := range q.items[q.head:] {
		if isLive(it) {
			kept = append(kept, it)
		}
	}
	q.items, q.head = kept, 0
}

func newTable[V any](ttl time.Duration, limit, perOwner int) *table[V] {
	return &table[V]{ttl: ttl, limit: limit, perOwner: perOwner,
		entries: map[string]*slot[V]{}, owners: map[string]*owner{}, byCount: map[int]*owner{}}
}

// live reports whether a queued key still names the entry it was queued for.
func (t *table[V]) live(it queued) bool {
	s, ok := t.entries[it.key]
	return ok && s.expires.Equal(it.expires)
}

// expire drops the entries that expired by now.
func (t *table[V]) expire(now time.Time) {
	for t.order.len() > 0 {
		it := t.order.front()
		if !now.After(it.expires) {
			return
		}
		t.order.pop()
		if t.live(it) {
			t.delete(it.key)
		}
	}
}

// fullness says why a table refuses an entry.
type fullness struct {
	full   bool
	global bool          // the whole table, not just the owner's share
	retry  time.Duration // until the earliest entry that would make room expires
}

// full reports whether owner may not add an entry now. It drops expired
// entries first; the rest is O(1).
func (t *table[V]) full(ownerID string, now time.Time) fullness {
	t.expire(now)
	if o := t.owners[ownerID]; o != nil && o.n >= t.perOwner {
		return fullness{full: true, retry: t.oldest(o).expires.Sub(now)}
	}
	if len(t.entries) >= t.limit {
		return fullness{full: true, global: true, retry: t.expiresAt(t.oldestKey()).Sub(now)}
	}
	return fullness{}
}

// oldest returns the owner's oldest live entry; the owner has one.
func (t *table[V]) oldest(o *owner) queued {
	for !t.live(o.order.front()) {
		o.order.pop()
	}
	return o.order.front()
}

// oldestKey returns the key of the oldest live entry; the table has one.
func (t *table[V]) oldestKey() string {
	for !t.live(t.order.front()) {
		t.order.pop()
	}
	return t.order.front().key
}

// oldestOf returns the key of the owner's oldest live entry, if any.
func (t *table[V]) oldestOf(ownerID string) (string, bool) {
	o := t.owners[ownerID]
	if o == nil || o.n == 0 {
		return "", false
	}
	return t.oldest(o).key, true
}

// add inserts v under key for owner. Check full first: add does not.
func (t *table[V]) add(key, ownerID string, v V, now time.Time) {
	t.delete(key) // a duplicate key replaces the old entry
	expires := now.Add(t.ttl)
	t.entries[key] = &slot[V]{v: v, owner: ownerID, expires: expires}
	t.order.push(key, expires)
	o := t.owners[ownerID]
	if o == nil {
		o = &owner{}
		t.owners[ownerID] = o
	}
	t.unlink(o)
	o.n++
	t.link(o)
	o.order.push(key, expires)
	t.order.compact(len(t.entries), t.live)
	o.order.compact(o.n, t.live)
	if t.used != nil {
		t.unused.push(key, expires)
		o.unused.push(key, expires)
		t.unused.compact(len(t.entries), t.isUnused)
		o.unused.compact(o.n, t.isUnused)
	}
}

// isUnused reports whether a queued key names a live entry nobody used.
func (t *table[V]) isUnused(it queued) bool {
	return t.live(it) && !t.used(t.entries[it.key].v)
}

// evictUnused drops the oldest unused entry, the owner's own unless
// global, and reports whether there was one. Amortised O(1): a key leaves
// an unused queue at most once.
func (t *table[V]) evictUnused(ownerID string, global bool) bool {
	if t.used == nil {
		return false
	}
	q := &t.unused
	if !global {
		o := t.owners[ownerID]
		if o == nil {
			return false
		}
		q = &o.unused
	}
	for q.len() > 0 {
		it := q.front()
		q.pop()
		if t.isUnused(it) {
			t.delete(it.key)
			return true
		}
	}
	return false
}

// expireUnused drops the entries still unused idle after they were made,
// oldest first; O(1) per dropped or used entry.
func (t *table[V]) expireUnused(now time.Time, idle time.Duration) {
	for t.used != nil && t.unused.len() > 0 {
		it := t.unused.front()
		if !now.After(it.expires.Add(idle - t.ttl)) {
			return
		}
		t.unused.pop()
		if t.isUnused(it) {
			t.delete(it.key)
		}
	}
}

// makeRoom is full, after dropping unused entries for owner while that
// helps: the owner's own when its share is full, anyone's oldest when the
// whole table is.
func (t *table[V]) makeRoom(ownerID string, now time.Time) (f fullness, evicted int) {
	for {
		f = t.full(ownerID, now)
		if !f.full || !t.evictUnused(ownerID, f.global) {
			return f, evicted
		}
		evicted++
	}
}

// get returns the entry under key; expired entries may still be returned
// until the next expire, so callers compare times themselves.
func (t *table[V]) get(key string) (V, bool) {
	s, ok := t.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	return s.v, true
}

// expiresAt returns when the entry under key expires.
func (t *table[V]) expiresAt(key string) time.Time {
	if s, ok := t.entries[key]; ok {
		return s.expires
	}
	return time.Time{}
}

func (t *table[V]) delete(key string) {
	s, ok := t.entries[key]
	if !ok {
		return
	}
	delete(t.entries, key)
	if t.onDrop != nil {
		t.onDrop(key, s.v)
	}
	if o := t.owners[s.owner]; o != nil {
		t.unlink(o)
		o.n--
		if o.n == 0 {
			delete(t.owners, s.owner)
		} else {
			t.link(o)
		}
	}
}

// link adds o to the list of owners holding o.n entries.
func (t *table[V]) link(o *owner) {
	head := t.byCount[o.n]
	o.prev, o.next = nil, head
	if head != nil {
		head.prev = o
	}
	t.byCount[o.n] = o
	t.maxN = max(t.maxN, o.n)
}

// unlink takes o out of its count's list, if it is in one.
func (t *table[V]) unlink(o *owner) {
	if o.n == 0 {
		return
	}
	if o.prev != nil {
		o.prev.next = o.next
	} else {
		t.byCount[o.n] = o.next
	}
	if o.next != nil {
		o.next.prev = o.prev
	}
	o.prev, o.next = nil, nil
	if t.byCount[o.n] == nil {
		delete(t.byCount, o.n)
		if t.maxN == o.n {
			// o was the only biggest holder; add and delete link it
			// again at o.n±1 at once, which makes maxN right.
			t.maxN = o.n - 1
		}
	}
}

// biggestOldest returns, when the table is full, the oldest entry of the
// owner holding the most, if that owner holds more than ownerID does.
// Taking it instead of refusing means the shares of many owners can never
// add up to a table that refuses everyone: whoever holds less than the
// biggest holder still gets in, and the biggest holders are the ones
// refused. O(1) (amortised, as oldest).
func (t *table[V]) biggestOldest(ownerID string) (string, bool) {
	mine := 0
	if o := t.owners[ownerID]; o != nil {
		mine = o.n
	}
	if len(t.entries) < t.limit || t.maxN <= mine+1 {
		// Taking from an owner holding one more would only swap the two.
		return "", false
	}
	return t.oldest(t.byCount[t.maxN]).key, true
}

// ownedBy returns the live keys of an owner, oldest first.
func (t *table[V]) ownedBy(ownerID string) []string {
	o := t.owners[ownerID]
	if o == nil {
		return nil
	}
	var keys []string
	for _, it := range o.order.items[o.order.head:] {
		if t.live(it) {
			keys = append(keys, it.key)
		}
	}
	return keys
}

func (t *table[V]) size() int { return len(t.entries) }
