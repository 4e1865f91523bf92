package output

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/hello-cli/hello/internal/jq"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// MaxBody bounds what hello reads from a server it may not control.
const MaxBody = 1 << 20

// TooLargeError is an answer longer than the limit. hello reports it
// rather than print a cut copy: half a JSON document is not JSON.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %s, more than hello accepts", e.Size())
}

// Size is the limit in words: "1 MiB".
func (e *TooLargeError) Size() string { return byteSize(e.Limit) }

// ReadBody reads r to its end, at most limit bytes; a longer body is a
// *TooLargeError. Only limit+1 bytes are ever read.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return b, nil
}

// NotJSONError is an answer that is not one JSON document.
type NotJSONError struct {
	// ContentType is the answer's Content-Type header, "" when it had none.
	ContentType string
}

func (e *NotJSONError) Error() string {
	return "the answer is not JSON (" + e.TypeName() + ")"
}

// TypeName names the content type for a message, made printable:
// "content type text/html", or "no content type".
func (e *NotJSONError) TypeName() string { return describeType(e.ContentType) }

// describeType names a content type for a message: its media type without
// parameters, made printable, or "no content type".
func describeType(ct string) string {
	if strings.TrimSpace(ct) == "" {
		return "no content type"
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		ct = mt
	}
	if len(ct) > 80 {
		ct = ct[:80] + "…"
	}
	return "content type " + termsafe.Line(ct)
}

// CheckJSON returns a *NotJSONError unless body is exactly one JSON
// document. The body decides, not the header: a JSON body sent as
// text/plain is still JSON, and an HTML page labelled application/json is not.
func CheckJSON(body []byte, contentType string) error {
	if !json.Valid(body) {
		return &NotJSONError{ContentType: contentType}
	}
	return nil
}

// JSON prints a command's -o json result: the whole document, indented, or
// with Filter set (--jq) the filter's results.
type JSON struct {
	// Filter is the compiled --jq expression, nil for none.
	Filter *jq.Filter
	// Indent indents the filter's JSON results, as gh does on a terminal;
	// whole documents are always indented.
	Indent bool
}

// Value prints v, a Go value that encodes as JSON.
func (p JSON) Value(ctx context.Context, w io.Writer, v any) error {
	doc, err := marshal(v)
	if err != nil {
		return err
	}
	return p.Document(ctx, w, doc)
}

// Document prints doc, which must be valid JSON (see CheckJSON).
func (p JSON) Document(ctx context.Context, w io.Writer, doc []byte) error {
	if !json.Valid(doc) {
		return errors.New("internal error: output.JSON.Document given a body that is not JSON")
	}
	if p.Filter == nil {
		return writeDocument(w, doc)
	}
	return p.Filter.Run(ctx, w, doc, p.Indent)
}

// byteSize writes n in the largest binary unit that divides it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
