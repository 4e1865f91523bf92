package callback

import (
	"html/template"
	"net/http"
	"net/url"
	"sync"
)

// pageHeaders keeps the result pages out of caches and frames and lets them
// load nothing at all: the callback URL carries the authorization code, so
// the page must not leak it through a referrer or a subresource.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
}

// The pages are parsed on first use, not at start-up: every hello command
// links this package, and only login and logout ever show a page.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(pageSource))
})

const pageSource = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · hello</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;color:#1f2328;display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:2rem 2.5rem;max-width:32rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:1.4rem;margin:0 0 .75rem;color:{{.Colour}}}
p{line-height:1.5;margin:.5rem 0}
</style>
</head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Detail}}<p>{{.Detail}}</p>{{end}}</main></body>
</html>
`

type pageData struct {
	Title, Message, Detail string
	Colour                 template.CSS
}

func render(w http.ResponseWriter, d pageData) {
	// A write error means the browser went away; there is nobody to tell.
	_ = page().Execute(w, d)
}

func defaultSuccessPage(w http.ResponseWriter, detail string) {
	render(w, pageData{
		Title:   "Logged in",
		Message: "You can close this tab and return to the terminal.",
		Detail:  detail,
		Colour:  "#1a7f37",
	})
}

func defaultFailurePage(w http.ResponseWriter, detail string) {
	render(w, pageData{
		Title:   "Login failed",
		Message: "You are not logged in. The terminal shows what went wrong; you can close this tab.",
		Detail:  detail,
		Colour:  "#cf222e",
	})
}

func loggedOutPage(w http.ResponseWriter) {
	render(w, pageData{
		Title:   "You are logged out",
		Message: "You can close this tab and return to the terminal.",
		Colour:  "#1f2328",
	})
}

var logoutFormPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("logout").Parse(logoutFormSource))
})

const logoutFormSource = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Logging out · hello</title></head>
<body style="font-family:system-ui,sans-serif">
<form id="logout" method="post" action="{{.Action}}">
{{range $name, $values := .Fields}}{{range $values}}<input type="hidden" name="{{$name}}" value="{{.}}">
{{end}}{{end}}<p>Logging out of the provider…</p>
<noscript><button type="submit">Continue</button></noscript>
</form>
<script nonce="{{.Nonce}}">document.getElementById("logout").submit();</script>
</body>
</html>
`

func renderLogoutForm(w http.ResponseWriter, f *logoutForm, nonce string) {
	_ = logoutFormPage().Execute(w, struct {
		Action string
		Fields url.Values
		Nonce  string
	}{f.action, f.fields, nonce})
}
