package apirequest

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// WriteHead writes the status line and headers of resp, as --include shows
// them before the body: "HTTP/1.1 200 OK", one "Name: value" line per value,
// names sorted, then a blank line. Everything the server sent passes through
// clean first, which must make control characters harmless on a terminal.
func WriteHead(w io.Writer, resp *http.Response, clean func(string) string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", resp.Proto, clean(resp.Status))
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", clean(k), clean(v))
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
