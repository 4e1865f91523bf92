package termsafe

import (
	"unicode/utf8"
)

// JSON returns doc, an encoded JSON document, with every character that
// IsUnsafe reports written as a \u escape and every byte that is not
// UTF-8 as \ufffd. The result decodes to the same value (invalid bytes
// aside, which decoders replace by U+FFFD anyway) and is safe on a
// terminal: JSON encoders escape C0 controls but leave DEL, C1 controls
// and bidirectional formatting characters raw, as the JSON grammar allows.
//
// doc must be valid JSON. Outside strings a valid document holds only
// ASCII, so every byte changed here lies inside a string, where an escape
// means the same character; the whitespace between tokens is kept.
func JSON(doc []byte) []byte {
	i := firstUnsafeJSON(doc)
	if i < 0 {
		return doc
	}
	out := make([]byte, 0, len(doc)+12)
	out = append(out, doc[:i]...)
	for i < len(doc) {
		c := doc[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(doc[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case IsUnsafe(r):
			out = appendEscape(out, r)
		default:
			out = append(out, doc[i:i+size]...)
		}
		i += size
	}
	return out
}

func firstUnsafeJSON(doc []byte) int {
	for i := 0; i < len(doc); {
		c := doc[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(doc[i:])
		if (r == utf8.RuneError && size == 1) || IsUnsafe(r) {
			return i
		}
		i += size
	}
	return -1
}

func appendEscape(out []byte, r rune) []byte {
	const digits = "0123456789abcdef"
	out = append(out, '\\', 'u')
	for shift := 12; shift >= 0; shift -= 4 {
		out = append(out, digits[(r>>shift)&0xf])
	}
	return out
}
