package webpage

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// luminance is the WCAG 2.1 relative luminance of a #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		t.Fatalf("bad colour %q", hex)
	}
	ch := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestContrast checks every text/background pair of the stylesheet against
// WCAG 2.1 AA: 4.5:1 for text, 3:1 for the input borders.
func TestContrast(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, fg, bg string
		min          float64
	}{
		{"text on page", Text, Page, 4.5},
		{"text on card", Text, Card, 4.5},
		{"footer on page", Muted, Page, 4.5},
		{"hint on card", Muted, Card, 4.5},
		{"link on card", Accent, Card, 4.5},
		{"button text", "#ffffff", Accent, 4.5},
		{"secondary button", Text, Secondary, 4.5},
		{"success heading", Success, Card, 4.5},
		{"failure heading", Danger, Card, 4.5},
		{"error message", ErrorText, ErrorBg, 4.5},
		{"notice", Text, NoticeBg, 4.5},
		{"input border", Border, Card, 3},
	} {
		if got := contrast(t, c.fg, c.bg); got < c.min {
			t.Errorf("%s: %s on %s is %.2f:1, want at least %.1f:1", c.name, c.fg, c.bg, got, c.min)
		}
	}
	// The figure WCAG publishes for black on white, as a check of the formula.
	if got := contrast(t, "#000000", "#ffffff"); math.Abs(got-21) > 0.01 {
		t.Errorf("black on white = %.2f, want 21", got)
	}
}

func TestSetHeaders(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	SetHeaders(h, "")
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": CSP,
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestLayout(t *testing.T) {
	t.Parallel()
	tpl, err := New("t").Parse(`{{define "p"}}{{template "page-start" .}}x{{template "page-end" .}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tpl.ExecuteTemplate(&b, "p", struct{ Title, Site, Footer string }{"Log <in>", "hello", ""}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"<title>Log &lt;in&gt; · hello</title>", "<main>", "</html>", "color:" + Muted} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<footer>") {
		t.Error("empty footer rendered")
	}
}
