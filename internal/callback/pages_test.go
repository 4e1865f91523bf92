package callback

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The pages are parsed on first use; these render each one, so that a
// template mistake fails here instead of in the middle of a login.
func TestPagesRenderEscaped(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	defaultFailurePage(w, `<script>alert("x")</script>`)
	body := w.Body.String()
	if !strings.Contains(body, "Login failed") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("failure page does not show the escaped detail:\n%s", body)
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("failure page contains the detail unescaped:\n%s", body)
	}

	w = httptest.NewRecorder()
	renderLogoutForm(w, &logoutForm{
		action: "https://op.example/logout",
		fields: url.Values{"id_token_hint": {`a"b`}},
	}, "n0nce")
	body = w.Body.String()
	for _, want := range []string{
		`action="https://op.example/logout"`,
		`name="id_token_hint" value="a&#34;b"`,
		`nonce="n0nce"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("logout form lacks %s:\n%s", want, body)
		}
	}
}
