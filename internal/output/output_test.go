package output

import (
	"bytes"
	"errors"
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

func TestWriteRawJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteRawJSON(&b, []byte(`{"text":"<hi>","n":1}`)); err != nil {
		t.Fatal(err)
	}
	// The server's field order and numbers are kept.
	if want := "{\n  \"text\": \"<hi>\",\n  \"n\": 1\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	var notJSON *NotJSONError
	if err := WriteRawJSON(&b, []byte("not json")); !errors.As(err, &notJSON) || b.Len() != 0 {
		t.Errorf("non-JSON body: wrote %q, error %v; want nothing and a *NotJSONError", b.String(), err)
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
