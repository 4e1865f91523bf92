package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineAndText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, line, text string
	}{
		{"plain", "Alice Example", "Alice Example", "Alice Example"},
		{"empty", "", "", ""},
		{"unicode letters stay", "Zoë 日本 🙂", "Zoë 日本 🙂", "Zoë 日本 🙂"},
		{"hostile sign-up name", "Eve\x1b[2J\x1b[31mRED\x07", "Eve^[[2J^[[31mRED^G", "Eve^[[2J^[[31mRED^G"},
		{"C1 CSI as UTF-8", "a\u009b2Jb", "a^[[2Jb", "a^[[2Jb"},
		{"C1 OSC title", "\u009d0;pwned\u009c", "^[]0;pwned^[\\", "^[]0;pwned^[\\"},
		{"raw 0x9b byte", "a\x9b2J", "a\uFFFD2J", "a\uFFFD2J"},
		{"DEL and NUL", "a\x7fb\x00", "a^?b^@", "a^?b^@"},
		{"backspace overwrite", "ok\b\bno", "ok^H^Hno", "ok^H^Hno"},
		{"newline and tab", "one\ttwo\nthree", "one^Itwo^Jthree", "one\ttwo\nthree"},
		{"CRLF kept in text", "a\r\nb", "a^M^Jb", "a\r\nb"},
		{"lone CR overwrites", "safe\rEVIL", "safe^MEVIL", "safe^MEVIL"},
		{"CR at the end", "a\r", "a^M", "a^M"},
		{"bidi override", "abc\u202Etxt.exe", "abc<U+202E>txt.exe", "abc<U+202E>txt.exe"},
		{"bidi isolate", "\u2066x\u2069", "<U+2066>x<U+2069>", "<U+2066>x<U+2069>"},
		{"marks that do not reorder stay", "a\u200Fb", "a\u200Fb", "a\u200Fb"},
		{"OSC 52 clipboard", "\x1b]52;c;ZXZpbA==\x07", "^[]52;c;ZXZpbA==^G", "^[]52;c;ZXZpbA==^G"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}

// Not parallel: AllocsPerRun refuses to run beside other tests.
func TestSafeStringIsNotCopied(t *testing.T) {
	s := strings.Repeat("plain text, nothing to do. ", 10)
	if n := testing.AllocsPerRun(100, func() { _ = Line(s); _ = Text(s) }); n != 0 {
		t.Errorf("a safe string cost %v allocations, want 0", n)
	}
}

// FuzzClean checks the package's promise on any input: no unsafe
// character survives except the layout Text keeps, the result is UTF-8,
// safe UTF-8 comes back unchanged, and cleaning twice changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"Eve\x1b[2J\x1b[31mRED\x07", "a\r\nb\rc", "\u009b\u202e\xff\xfe", "plain", "\t\n", "é\xc3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, multiline := range []bool{false, true} {
			out := clean(s, multiline)
			if !utf8.ValidString(out) {
				t.Fatalf("clean(%q, %v) = %q: not UTF-8", s, multiline, out)
			}
			for i, r := range out {
				if IsUnsafe(r) && !(multiline && keep(out, i, true)) {
					t.Fatalf("clean(%q, %v) = %q: unsafe %U at %d", s, multiline, out, r, i)
				}
			}
			if again := clean(out, multiline); again != out {
				t.Fatalf("not stable: clean(%q) = %q, again %q", s, out, again)
			}
			if utf8.ValidString(s) && firstUnsafe(s, multiline) < 0 && out != s {
				t.Fatalf("safe %q changed to %q", s, out)
			}
		}
	})
}

func BenchmarkLine(b *testing.B) {
	for _, bc := range []struct{ name, s string }{
		{"safe", "Alice Example <alice@example.com>"},
		{"hostile", "Eve\x1b[2J\x1b[31mRED\x07 \u202Egpj.exe"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_ = Line(bc.s)
			}
		})
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := NewWriter(&b)
	for _, s := range []string{"warning: ", "Eve\x1b[2J\n", "ok\r\n"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if want := "warning: Eve^[[2J\nok\r\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
}
