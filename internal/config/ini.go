package config

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"gopkg.in/ini.v1"
)

// iniFormat is the config type the codec is registered under.
const iniFormat = "ini"

// iniOptions read files the way the seed's Python configparser does: section
// and key names are case-insensitive, and ';' or '#' after a value is part of
// the value (configparser has no inline comments by default, and a client
// secret may contain either character).
func iniOptions() ini.LoadOptions {
	return ini.LoadOptions{Insensitive: true, IgnoreInlineComment: true}
}

// iniCodec lets viper read (and write) INI, which it lost in v1.20. Sections
// become nested maps: [AUTH0] CLIENT_ID is the viper key auth0.client_id.
type iniCodec struct{}

// newRegistry returns a codec registry with INI added to viper's built-ins.
func newRegistry() (*viper.DefaultCodecRegistry, error) {
	r := viper.NewCodecRegistry()
	if err := r.RegisterCodec(iniFormat, iniCodec{}); err != nil {
		return nil, fmt.Errorf("register INI codec: %w", err)
	}
	return r, nil
}

// Decode parses b into v as section -> key -> string value. Keys outside any
// section land under "default", which hello does not read.
func (iniCodec) Decode(b []byte, v map[string]any) error {
	f, err := ini.LoadSources(iniOptions(), b)
	if err != nil {
		return withLine(b, err)
	}
	for _, sec := range f.Sections() {
		keys := sec.Keys()
		if len(keys) == 0 {
			continue
		}
		m, _ := v[sec.Name()].(map[string]any)
		if m == nil {
			m = make(map[string]any, len(keys))
			v[sec.Name()] = m
		}
		for _, k := range keys {
			m[k.Name()] = k.Value()
		}
	}
	return nil
}

// Encode writes nested maps as sections; top-level scalars go before any
// section. It exists because viper's registry takes whole codecs.
func (iniCodec) Encode(v map[string]any) ([]byte, error) {
	f := ini.Empty(iniOptions())
	for _, name := range sortedKeys(v) {
		switch val := v[name].(type) {
		case map[string]any:
			sec, err := f.NewSection(name)
			if err != nil {
				return nil, fmt.Errorf("INI section %q: %w", name, err)
			}
			for _, k := range sortedKeys(val) {
				if _, err := sec.NewKey(k, fmt.Sprint(val[k])); err != nil {
					return nil, fmt.Errorf("INI key %q in [%s]: %w", k, name, err)
				}
			}
		default:
			if _, err := f.Section("").NewKey(name, fmt.Sprint(val)); err != nil {
				return nil, fmt.Errorf("INI key %q: %w", name, err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write INI: %w", err)
	}
	return buf.Bytes(), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// syntaxError is an INI parse error with the line it happened on, when it
// can be found (0 otherwise). Its message names the problem but never repeats
// the line's text, which ini.v1 includes: a mangled line may well hold the
// client secret.
type syntaxError struct {
	Line int
	Msg  string
	Err  error // the ini.v1 error, with the line's text
}

func (e *syntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func (e *syntaxError) Unwrap() error { return e.Err }

// withLine turns an ini.v1 error into a *syntaxError. ini.v1 reports the
// text of the offending line ("key-value delimiter not found: foo"), not its
// number, so the number is found by looking that text up in the input.
func withLine(b []byte, err error) error {
	same := func(text string) func(string) bool {
		text = strings.TrimSpace(text)
		return func(l string) bool { return text != "" && strings.TrimSpace(l) == text }
	}
	var delim ini.ErrDelimiterNotFound
	var empty ini.ErrEmptyKeyName
	msg, text, _ := strings.Cut(err.Error(), ": ")
	e := &syntaxError{Msg: msg, Err: err}
	switch {
	case errors.As(err, &delim):
		e.Msg = "expected KEY=VALUE, a [SECTION] header or a ; comment"
		e.Line = lineWhere(b, same(delim.Line))
	case errors.As(err, &empty):
		e.Msg = "empty key name before '='"
		e.Line = lineWhere(b, same(empty.Line))
	case msg == "empty section name":
		e.Line = lineWhere(b, func(l string) bool {
			return strings.ReplaceAll(strings.TrimSpace(l), " ", "") == "[]"
		})
	case msg == "unclosed section":
		e.Msg = "section header without closing ']'"
		e.Line = lineWhere(b, same(text))
	default:
		// "missing closing key quote: <line>" and the like.
		e.Line = lineWhere(b, same(text))
	}
	return e
}

// lineWhere returns the 1-based number of the first line of b matching, or 0.
func lineWhere(b []byte, match func(string) bool) int {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 BOM, which ini.v1 skips
	for i, line := range strings.Split(string(b), "\n") {
		if match(line) {
			return i + 1
		}
	}
	return 0
}
