package eventlog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLimiterFoldsRepeats(t *testing.T) {
	t.Parallel()
	var l Limiter
	now := time.Unix(1_000_000, 0)
	if n, ok := l.Allow("a", now); !ok || n != 0 {
		t.Fatalf("first: %d %v", n, ok)
	}
	for range 5 {
		if _, ok := l.Allow("a", now.Add(time.Second)); ok {
			t.Fatal("repeat within a minute logged")
		}
	}
	if _, ok := l.Allow("b", now.Add(time.Second)); !ok {
		t.Error("another kind folded")
	}
	if n, ok := l.Allow("a", now.Add(Every)); !ok || n != 5 {
		t.Errorf("after a minute: %d %v, want 5 true", n, ok)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	log, err := New(&b, FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("user logged in", "user", "sandbox|alice")
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil || m["msg"] != "user logged in" || m["user"] != "sandbox|alice" {
		t.Errorf("json line %q: %v", b.String(), err)
	}
	b.Reset()
	if log, err = New(&b, ""); err != nil {
		t.Fatal(err)
	}
	log.Debug("not shown")
	log.Info("tokens issued", "grant", "refresh")
	if out := b.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, `msg="tokens issued" grant=refresh`) {
		t.Errorf("text: %q", out)
	}
	if _, err := New(&b, "xml"); err == nil {
		t.Error("xml accepted")
	}
}

// A Limiter keyed by client and user stays bounded: past maxKinds it
// forgets idle kinds (or all), and a forgotten kind is logged again as a
// first occurrence rather than folded into nothing.
func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	var l Limiter
	now := time.Unix(1_000_000, 0)
	l.Allow("old", now)
	later := now.Add(Every)
	for i := range 3 * maxKinds {
		if _, ok := l.Allow("kind"+strconv.Itoa(i), later); !ok {
			t.Fatalf("first occurrence of kind %d folded", i)
		}
		if len(l.kinds) > maxKinds {
			t.Fatalf("%d kinds held, want at most %d", len(l.kinds), maxKinds)
		}
	}
	if _, ok := l.Allow("old", later); !ok {
		t.Error("a forgotten kind was folded")
	}
}
