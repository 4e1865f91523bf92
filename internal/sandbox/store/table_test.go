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
