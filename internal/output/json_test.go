package output

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/jq"
)

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		size  int
		limit int64
		over  bool
	}{
		{"empty", 0, 10, false},
		{"at the limit", 10, 10, false},
		{"one byte over", 11, 10, true},
		{"far over", 50 << 20, MaxBody, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &countingReader{left: tt.size}
			b, err := ReadBody(r, tt.limit)
			var tooLarge *TooLargeError
			if tt.over {
				if !errors.As(err, &tooLarge) || b != nil {
					t.Fatalf("ReadBody = %d bytes, %v; want a *TooLargeError and no body", len(b), err)
				}
				if r.read > int(tt.limit)+1 {
					t.Errorf("read %d bytes of an oversized body, want at most %d", r.read, tt.limit+1)
				}
				return
			}
			if err != nil || len(b) != tt.size {
				t.Fatalf("ReadBody = %d bytes, %v; want %d", len(b), err, tt.size)
			}
		})
	}
}

type countingReader struct{ left, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.left -= n
	r.read += n
	return n, nil
}

func TestTooLargeMessage(t *testing.T) {
	t.Parallel()
	if got := (&TooLargeError{Limit: MaxBody}).Error(); !strings.Contains(got, "1 MiB") {
		t.Errorf("message %q does not name the limit", got)
	}
}

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, contentType string
		ok                bool
		message           string
	}{
		{`{"text":"hi"}`, "application/json", true, ""},
		{`{"text":"hi"}`, "text/plain", true, ""},
		{`[1, 2]`, "", true, ""},
		{`<html>hi</html>`, "text/html; charset=utf-8", false, "the answer is not JSON (content type text/html)"},
		{`{"a":1} trailing`, "application/json", false, "the answer is not JSON (content type application/json)"},
		{`{"a":1`, "application/json", false, "not JSON"},
		{``, "", false, "the answer is not JSON (no content type)"},
		{`oops`, "text/\x1b[2Jevil", false, "content type text/^[[2Jevil"},
	}
	for _, tt := range tests {
		err := CheckJSON([]byte(tt.body), tt.contentType)
		if tt.ok != (err == nil) {
			t.Errorf("CheckJSON(%q) = %v, want ok=%v", tt.body, err, tt.ok)
			continue
		}
		var notJSON *NotJSONError
		if err != nil && (!errors.As(err, &notJSON) || !strings.Contains(err.Error(), tt.message)) {
			t.Errorf("CheckJSON(%q, %q) = %q, want a *NotJSONError saying %q", tt.body, tt.contentType, err, tt.message)
		}
	}
}

func TestJSONPrinter(t *testing.T) {
	t.Parallel()
	filter, err := jq.Compile(".text")
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"text":"Eve\u001b[2J","z":1,"a":2}`)
	tests := []struct {
		name string
		p    JSON
		want string
	}{
		{"whole document indented, order kept", JSON{}, "{\n  \"text\": \"Eve\\u001b[2J\",\n  \"z\": 1,\n  \"a\": 2\n}\n"},
		{"filter result raw and safe", JSON{Filter: filter}, "Eve^[[2J\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := tt.p.Document(context.Background(), &b, doc); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
	var b bytes.Buffer
	if err := (JSON{}).Document(context.Background(), &b, []byte("<html>")); err == nil || b.Len() != 0 {
		t.Errorf("Document of a non-JSON body wrote %q, error %v", b.String(), err)
	}
}

func TestJSONValueEscapesRawControls(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	// encoding/json writes DEL, C1 and bidi characters raw; the terminal
	// must not see them. HTML characters stay as they are: nobody embeds
	// the output in a page.
	if err := (JSON{}).Value(context.Background(), &b, map[string]string{"name": "a<&>\x7f\u009b2J\u202e"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"name\": \"a<&>\\u007f\\u009b2J\\u202e\"\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestWriteFieldsIsSafe(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	err := WriteFields(&b, []Field{
		{"name", "Eve\x1b[2J\x1b[31mRED\x07"},
		{"evil\nclaim", "line one\nemail: admin@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "name:         Eve^[[2J^[[31mRED^G\nevil^Jclaim:  line one^Jemail: admin@example.com\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
