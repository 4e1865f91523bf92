package termsafe

import "io"

// Writer passes everything written through Text on its way to an
// underlying writer: a safety net for a stream that only ever carries
// messages for a person, such as stderr, where a library or a browser
// launcher may copy what a server or a program printed.
//
// Each Write is cleaned on its own: a multi-byte character or a CRLF split
// across two writes is shown as U+FFFD or ^M rather than passed through.
type Writer struct {
	w io.Writer
}

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes Text(p) and reports all of p as written.
func (w *Writer) Write(p []byte) (int, error) {
	s := Text(string(p))
	if _, err := io.WriteString(w.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
