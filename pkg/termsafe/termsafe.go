// Package termsafe makes text that came from elsewhere (a server, a token,
// a file) safe to print on a terminal.
//
// A terminal obeys control characters found in the text it is given: ESC
// and CSI (0x9b) start sequences that move the cursor, clear the screen,
// change colours, set the window title or write to the clipboard; BEL
// rings; a carriage return or backspace lets later text overwrite what was
// printed before. Bidirectional formatting characters (U+202A–U+202E,
// U+2066–U+2069) reorder what the reader sees without changing the bytes.
// A name, an error description or an API body may carry any of them, so
// every such string goes through this package before it is printed.
//
// Nothing is removed: each unsafe character is replaced by a visible form,
// so the reader still sees that something odd was sent.
//
//   - C0 controls and DEL in caret notation, as cat -v and less show them:
//     ESC is ^[, BEL is ^G, NUL is ^@, DEL is ^?.
//   - C1 controls (U+0080–U+009F) as the ESC sequence they stand for: CSI
//     (U+009B) is ^[[, OSC (U+009D) is ^[].
//   - Bidirectional formatting characters as <U+202E>.
//   - Bytes that are not UTF-8 as U+FFFD, the replacement character, so the
//     terminal cannot decode them as controls of an 8-bit character set.
//
// Line is for a value printed inside one line (a name, a field of a table,
// a message in an error sentence): newlines and tabs are made visible too,
// so that a value cannot fake a second line of output. Text is for text
// that is printed as lines of its own (a message body): newline, tab and
// the carriage return of a CRLF line ending are kept.
//
// The output of Line and Text contains no character that IsUnsafe reports,
// apart from the layout characters Text keeps, and applying either
// function again to its own output changes nothing.
package termsafe

import (
	"strings"
	"unicode/utf8"
)

// Line returns s with every control character made visible, newline and
// tab included: the result prints as part of one line.
func Line(s string) string { return clean(s, false) }

// Text returns s with every control character except newline, tab and the
// CR of a CRLF made visible: the result prints as lines of text.
func Text(s string) string { return clean(s, true) }

// IsUnsafe reports whether r is a character that Line replaces: a C0 or C1
// control, DEL, or a bidirectional formatting character. Encoders that
// escape rather than replace (JSON) use it to decide what to escape.
func IsUnsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func clean(s string, multiline bool) string {
	// Nearly every string is safe: find the first character to replace
	// without allocating, and return s itself when there is none.
	i := firstUnsafe(s, multiline)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !keep(s, i, multiline) && IsUnsafe(rune(c)) {
				writeCaret(&b, c)
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r >= 0x80 && r <= 0x9f:
			// A C1 control is the 7-bit sequence ESC followed by r-0x40.
			b.WriteString("^[")
			b.WriteByte(byte(r - 0x40))
		case IsUnsafe(r):
			b.WriteString("<U+")
			writeHex(&b, r)
			b.WriteByte('>')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte clean must change, or -1.
func firstUnsafe(s string, multiline bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !keep(s, i, multiline) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || IsUnsafe(r) {
			return i
		}
		i += size
	}
	return -1
}

// keep reports whether the ASCII control at s[i] is layout that multi-line
// text keeps: newline, tab, and a carriage return that ends a line. A lone
// CR is replaced: it returns the cursor and lets the rest overwrite the line.
func keep(s string, i int, multiline bool) bool {
	if !multiline {
		return false
	}
	switch s[i] {
	case '\n', '\t':
		return true
	case '\r':
		return i+1 < len(s) && s[i+1] == '\n'
	}
	return false
}

func writeCaret(b *strings.Builder, c byte) {
	b.WriteByte('^')
	if c == 0x7f {
		b.WriteByte('?')
		return
	}
	b.WriteByte(c + 0x40)
}

func writeHex(b *strings.Builder, r rune) {
	const digits = "0123456789ABCDEF"
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(digits[(r>>shift)&0xf])
	}
}
