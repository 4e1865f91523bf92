// Package output prints command results as text or indented JSON.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteRawJSON re-indents a JSON document received from elsewhere, keeping
// every field; a body that is not JSON is written unchanged.
func WriteRawJSON(w io.Writer, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		_, err = w.Write(body)
		return err
	}
	return WriteJSON(w, v)
}

// Field is one line of text output.
type Field struct {
	Name  string
	Value string
}

// WriteFields writes aligned "name: value" lines.
func WriteFields(w io.Writer, fields []Field) error {
	width := 0
	for _, f := range fields {
		width = max(width, len(f.Name))
	}
	var b strings.Builder
	for _, f := range fields {
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
