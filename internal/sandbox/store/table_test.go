package store

import (
	"strconv"
	"testing"
	"time"
)

func TestTableShares(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	tb := newTable[int](time.Hour, 5, 3)
	dropped := 0
	tb.onDrop = func(string, int) { dropped++ }
	for i := range 3 {
		if f := tb.full("a", now); f.full {
			t.Fatalf("a refused at %d", i)
		}
		tb.add("a"+strconv.Itoa(i), "a", i, now.Add(time.Duration(i)*time.Minute))
	}
	f := tb.full("a", now.Add(5*time.Minute))
	if !f.full || f.global || f.retry != 55*time.Minute {
		t.Fatalf("a over its share: %+v, want full, not global, retry 55m", f)
	}
	// b has its own share...
	tb.add("b0", "b", 0, now)
	tb.add("b1", "b", 1, now)
	// ...until the table is full for everyone.
	if f := tb.full("c", now); !f.full || !f.global || f.retry != time.Hour {
		t.Fatalf("full table: %+v", f)
	}
	// Deleting a's oldest makes room for a, and the retry of the next
	// refusal is that of a's oldest remaining entry.
	tb.delete("a0")
	if f := tb.full("a", now); f.full {
		t.Fatalf("a after a deletion: %+v", f)
	}
	tb.add("a3", "a", 3, now.Add(10*time.Minute))
	if f := tb.full("a", now.Add(20*time.Minute)); !f.full || f.retry != 41*time.Minute {
		t.Fatalf("a again: %+v, want retry 41m (a1)", f)
	}
	if got := tb.ownedBy("a"); len(got) != 3 || got[0] != "a1" {
		t.Errorf("ownedBy(a) = %v", got)
	}
	// Everything expires, oldest first, with its clean-up.
	tb.expire(now.Add(2 * time.Hour))
	if tb.size() != 0 || len(tb.owners) != 0 || dropped != 6 {
		t.Errorf("after expiry: %d entries, %d owners, %d dropped", tb.size(), len(tb.owners), dropped)
	}
}

// Queues of deleted keys are compacted, so a client that creates and
// revokes tokens in a loop does not grow memory.
func TestTableCompacts(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	tb := newTable[int](time.Hour, 10, 10)
	for i := range 10_000 {
		k := strconv.Itoa(i)
		tb.add(k, "a", i, now)
		tb.delete(k)
	}
	if n := tb.order.len(); n > 200 {
		t.Errorf("global queue holds %d keys for 0 entries", n)
	}
	if len(tb.owners) != 0 {
		t.Errorf("owners = %d", len(tb.owners))
	}
}

// BenchmarkTableRefusal shows that refusing a client over its share costs
// the same with 10 or 100,000 entries in the table: no sweep.
func BenchmarkTableRefusal(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			now := time.Unix(1_000_000, 0)
			tb := newTable[int](time.Hour, 2*n, n)
			for i := range n {
				tb.add(strconv.Itoa(i), "flooder", i, now)
			}
			for b.Loop() {
				if f := tb.full("flooder", now); !f.full {
					b.Fatal("not full")
				}
			}
		})
	}
}

// The biggest holder is found in O(1) and gives up its oldest entry to
// anyone holding fewer once the table is full.
func TestTableBiggestHolder(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	tb := newTable[int](time.Hour, 10, 10)
	for i := range 6 {
		tb.add("big"+strconv.Itoa(i), "big", i, now.Add(time.Duration(i)*time.Second))
	}
	for i := range 4 {
		tb.add("mid"+strconv.Itoa(i), "mid", i, now)
	}
	if k, ok := tb.biggestOldest("newcomer"); !ok || k != "big0" {
		t.Fatalf("biggestOldest(newcomer) = %q %v, want big0", k, ok)
	}
	if _, ok := tb.biggestOldest("big"); ok {
		t.Error("the biggest holder may take from itself")
	}
	tb.delete("big0")
	tb.delete("big1") // big and mid now both hold 4
	tb.add("new0", "newcomer", 0, now)
	tb.add("new1", "newcomer", 1, now)
	if tb.maxN != 4 || tb.byCount[4] == nil || tb.byCount[2] == nil {
		t.Fatalf("maxN %d, lists %v", tb.maxN, tb.byCount)
	}
	if _, ok := tb.biggestOldest("mid"); ok {
		t.Error("an owner as big as the biggest may take from it")
	}
	if k, ok := tb.biggestOldest("newcomer"); !ok || (k != "big2" && k != "mid0") {
		t.Errorf("biggestOldest(newcomer) = %q %v, want the oldest of big or mid", k, ok)
	}
	// Not full: nothing is taken.
	tb.delete("new1")
	if _, ok := tb.biggestOldest("other"); ok {
		t.Error("took an entry from a table with room")
	}
	tb.expire(now.Add(2 * time.Hour))
	if tb.maxN != 0 || len(tb.byCount) != 0 {
		t.Errorf("empty table: maxN %d, lists %v", tb.maxN, tb.byCount)
	}
}

// A full share drops its oldest unused entry, never one in use; unused
// entries also go after their idle time.
func TestTableEvictsUnusedFirst(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_000_000, 0)
	tb := newTable[*bool](time.Hour, 100, 3)
	tb.used = func(v *bool) bool { return *v }
	use := map[string]*bool{}
	for i := range 3 {
		k := "k" + strconv.Itoa(i)
		use[k] = new(bool)
		tb.add(k, "c", use[k], now.Add(time.Duration(i)*time.Second))
	}
	*use["k0"] = true // somebody opened the oldest
	if f, n := tb.makeRoom("c", now); f.full || n != 1 {
		t.Fatalf("makeRoom: %+v after %d evictions, want room after 1", f, n)
	}
	if _, ok := tb.get("k0"); !ok {
		t.Error("the entry in use was evicted")
	}
	if _, ok := tb.get("k1"); ok {
		t.Error("the oldest unused entry k1 is still there")
	}
	tb.add("k3", "c", new(bool), now)
	*use["k2"] = true
	tb.add("k4", "c", new(bool), now) // over the share, forced
	// Idle unused entries expire; used ones stay until their TTL.
	tb.expireUnused(now.Add(2*time.Minute), time.Minute)
	for _, k := range []string{"k3", "k4"} {
		if _, ok := tb.get(k); ok {
			t.Errorf("idle unused %s kept", k)
		}
	}
	for _, k := range []string{"k0", "k2"} {
		if _, ok := tb.get(k); !ok {
			t.Errorf("used %s dropped by expireUnused", k)
		}
	}
	// All in use: nothing to evict, the newcomer is refused.
	tb.add("k5", "c", use["k0"], now)
	if f, n := tb.makeRoom("c", now); !f.full || n != 0 {
		t.Errorf("all in use: %+v after %d evictions, want refused", f, n)
	}
}
