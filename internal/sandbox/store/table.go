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
	// onDrop, if set, is called for every entry deleted or expired, to
	// clean up indexes that point at it.
	onDrop func(key string, v V)
}

type slot[V any] struct {
	v       V
	owner   string
	expires time.Time
}

type owner struct {
	n     int   // live entries
	order queue // the owner's keys, oldest first; may hold deleted ones
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
		entries: map[string]*slot[V]{}, owners: map[string]*owner{}}
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
	o.n++
	o.order.push(key, expires)
	t.order.compact(len(t.entries), t.live)
	o.order.compact(o.n, t.live)
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
		o.n--
		if o.n == 0 {
			delete(t.owners, s.owner)
		}
	}
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
