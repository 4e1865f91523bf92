package callback

import (
	"html/template"
	"net/http"
	"net/url"
	"sync"

	"github.com/hello-cli/hello/internal/webpage"
)

// pageHeaders keeps the result pages out of caches and frames and lets them
// load nothing at all: the callback URL carries the authorization code, so
// the page must not leak it through a referrer or a subresource.
func pageHeaders(w http.ResponseWriter) {
	webpage.SetHeaders(w.Header(), "default-src 'none'; style-src 'unsafe-inline'")
}

// The pages are parsed on first use, not at start-up: every hello command
// links this package, and only login and logout ever show a page.

// page has the look shared with the sandbox provider's pages.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(webpage.New("page").Parse(`{{template "page-start" .}}<h1 class="{{.Class}}">{{.Title}}</h1>
<p>{{.Message}}</p>{{if .Detail}}
<p>{{.Detail}}</p>{{end}}
{{template "page-end" .}}`))
})

type pageData struct {
	Title, Message, Detail string
	Class                  string // of the heading: success, failure or none
	Site, Footer           string // for the shared layout
}

func render(w http.ResponseWriter, d pageData) {
	d.Site = "hello"
	// A write error means the browser went away; there is nobody to tell.
	_ = page().Execute(w, d)
}

func defaultSuccessPage(w http.ResponseWriter, detail string) {
	render(w, pageData{
		Title:   "Logged in",
		Message: "You can close this tab and return to the terminal.",
		Detail:  detail,
		Class:   "success",
	})
}

func defaultFailurePage(w http.ResponseWriter, detail string) {
	render(w, pageData{
		Title:   "Login failed",
		Message: "You are not logged in. The terminal shows what went wrong; you can close this tab.",
		Detail:  detail,
		Class:   "failure",
	})
}

func loggedOutPage(w http.ResponseWriter) {
	render(w, pageData{
		Title:   "You are logged out",
		Message: "You can close this tab and return to the terminal.",
	})
}

var logoutFormPage = sync.OnceValue(func() *template.Template {
	return template.Must(webpage.New("logout").Parse(`{{template "page-start" .}}<form id="logout" method="post" action="{{.Action}}">
{{range $name, $values := .Fields}}{{range $values}}<input type="hidden" name="{{$name}}" value="{{.}}">
{{end}}{{end}}<p>Logging out of the provider…</p>
<noscript><button type="submit">Continue</button></noscript>
</form>
<script nonce="{{.Nonce}}">document.getElementById("logout").submit();</script>
{{template "page-end" .}}`))
})

func renderLogoutForm(w http.ResponseWriter, f *logoutForm, nonce string) {
	_ = logoutFormPage().Execute(w, struct {
		Action              string
		Fields              url.Values
		Nonce               string
		Title, Site, Footer string
	}{f.action, f.fields, nonce, "Logging out", "hello", ""})
}
