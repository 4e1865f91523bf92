package termsafe

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestJSON(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"safe document unchanged", "{\n  \"name\": \"Zoë\"\n}", "{\n  \"name\": \"Zoë\"\n}"},
		{"escaped ESC stays escaped", `{"text":"\u001b[2J"}`, `{"text":"\u001b[2J"}`},
		{"raw C1 CSI", "{\"text\":\"a\u009b2J\"}", `{"text":"a\u009b2J"}`},
		{"raw DEL", "[\"a\x7f\"]", `["a\u007f"]`},
		{"bidi override", "\"\u202Efdp.exe\"", `"\u202efdp.exe"`},
		{"invalid byte", "\"a\xffb\"", `"a\ufffdb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(JSON([]byte(tt.in))); got != tt.want {
				t.Errorf("JSON(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzJSON checks that the escaped document is the same JSON value and
// carries no raw unsafe character.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{"Eve\x1b[2J\x07", "\u009b\u202e\x7f", "\xff", "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := json.Marshal(map[string]any{"s": s, "list": []string{s, "x"}})
		if err != nil {
			t.Skip()
		}
		out := JSON(doc)
		var before, after any
		if err := json.Unmarshal(doc, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("JSON(%s) = %s: no longer JSON: %v", doc, out, err)
		}
		b1, _ := json.Marshal(before)
		b2, _ := json.Marshal(after)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("value changed: %s → %s", b1, b2)
		}
		if !utf8.Valid(out) {
			t.Fatalf("JSON(%q) is not UTF-8", doc)
		}
		for _, r := range string(out) {
			if IsUnsafe(r) && r != '\n' && r != '\t' {
				t.Fatalf("JSON(%q) = %q keeps %U", doc, out, r)
			}
		}
	})
}
