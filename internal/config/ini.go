package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/ini.v1"
)

// iniOptions read files the way the seed's Python configparser does: section
// and key names are case-insensitive, and ';' or '#' after a value is part of
// the value (configparser has no inline comments by default, and a client
// secret may contain either character).
func iniOptions() ini.LoadOptions {
	return ini.LoadOptions{Insensitive: true, IgnoreInlineComment: true}
}

// iniFile is a parsed config file: section -> key -> value, names in lower
// case. Keys outside any section land under "default", which hello does not
// read. Sections without keys are left out.
type iniFile map[string]map[string]string

// parseINI parses a config file. Errors are *syntaxError.
func parseINI(b []byte) (iniFile, error) {
	f, err := ini.LoadSources(iniOptions(), b)
	if err != nil {
		return nil, withLine(b, err)
	}
	out := iniFile{}
	for _, sec := range f.Sections() {
		keys := sec.Keys()
		if len(keys) == 0 {
			continue
		}
		m := out[sec.Name()]
		if m == nil {
			m = make(map[string]string, len(keys))
			out[sec.Name()] = m
		}
		for _, k := range keys {
			m[k.Name()] = k.Value()
		}
	}
	return out, nil
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
