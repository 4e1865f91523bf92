// Package output prints command results as text or JSON that a terminal
// can trust and a script can rely on: text from outside has its control
// characters made visible (pkg/termsafe), JSON escapes them as JSON does,
// and -o json prints JSON or fails, never anything else.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hello-cli/hello/pkg/termsafe"
)

// marshal encodes v compactly, without HTML escaping (nobody embeds the
// output in a page, and "&" should read as "&").
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON output: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// writeDocument writes a valid JSON document indented, terminal-safe, and
// followed by a newline.
func writeDocument(w io.Writer, doc []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		return fmt.Errorf("indent JSON output: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(termsafe.JSON(b.Bytes()))
	return err
}

// Field is one line of text output.
type Field struct {
	Name  string
	Value string
}

// WriteFields writes aligned "name: value" lines. Names and values may come
// from a server (claim names, a user's name): each is made terminal-safe
// and kept on its own line, so none can fake another line of output.
func WriteFields(w io.Writer, fields []Field) error {
	safe := make([]Field, len(fields))
	width := 0
	for i, f := range fields {
		safe[i] = Field{Name: termsafe.Line(f.Name), Value: termsafe.Line(f.Value)}
		width = max(width, utf8.RuneCountInString(safe[i].Name))
	}
	var b strings.Builder
	for _, f := range safe {
		fmt.Fprintf(&b, "%-*s  %s\n", width+1, f.Name+":", f.Value)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SortedKeys returns m's keys in order, so text output is stable.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Value renders a claim value for text output: strings as they are,
// everything else as compact JSON.
func Value(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
