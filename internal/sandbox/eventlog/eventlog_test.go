package eventlog

import (
	"bytes"
	"encoding/json"
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
