package output

import (
	"bytes"
	"testing"
)

func TestWriteFieldsAligns(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteFields(&b, []Field{{"name", "Alice"}, {"email", "a@example.com"}}); err != nil {
		t.Fatal(err)
	}
	want := "name:   Alice\nemail:  a@example.com\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[any]string{"s": "s", true: "true", 1.5: "1.5"} {
		if got := Value(in); got != want {
			t.Errorf("Value(%v) = %q", in, got)
		}
	}
	if Value(nil) != "" || Value([]any{"a", "b"}) != `["a","b"]` {
		t.Error("Value of nil or a list is wrong")
	}
}
