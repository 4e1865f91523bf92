// Package webpage is the one look and the one set of security headers of
// every HTML page hello serves: the sandbox provider's login, sign-up and
// device pages and the CLI's own loopback callback pages.
package webpage

import (
	"html/template"
	"net/http"
)

// CSP is the Content-Security-Policy of every page: nothing is loaded (the
// stylesheet is inline), nothing may frame it, no <base> may redirect its
// links and forms. A page that runs a script sets its own policy on top.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"

// SetHeaders sets what every page gets: HTML, no caching (pages carry CSRF
// tokens, user data and authorization codes in their URLs), no framing, no
// MIME sniffing, no referrer (URLs carry codes and request ids) and the
// Content-Security-Policy csp, CSP when empty.
func SetHeaders(h http.Header, csp string) {
	if csp == "" {
		csp = CSP
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// No form-action: Chrome applies it to the redirect after a form post,
	// and a login ends in a redirect to the application's loopback address.
	h.Set("Content-Security-Policy", csp)
}

// The palette. Every text colour meets WCAG 2.1 AA (4.5:1) on the
// backgrounds it is used on; TestContrast checks the pairs.
const (
	Page      = "#f4f5f7" // body background
	Card      = "#ffffff" // the main box
	Text      = "#1d2330"
	Muted     = "#4b5563" // footer, hints: 7.0:1 on Page
	Border    = "#6b7280" // input borders: 3:1 is the bar for non-text
	Accent    = "#3443a3" // buttons (white text) and links
	Success   = "#1a7f37"
	Danger    = "#b42318"
	ErrorBg   = "#fdecea"
	ErrorText = "#8a1c12"
	NoticeBg  = "#e8f0fe"
	Secondary = "#e6e8ec" // secondary button, Text on it
)

// css is the shared stylesheet.
const css = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:` + Page + `;color:` + Text + `;margin:0}
main{max-width:26rem;margin:4rem auto;background:` + Card + `;padding:2rem;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 1rem}
h1.success{color:` + Success + `}
h1.failure{color:` + Danger + `}
p,li{line-height:1.5}
a{color:` + Accent + `}
label{display:block;font-size:.95rem;margin:1rem 0 .3rem}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid ` + Border + `;border-radius:6px;font-size:1rem;color:` + Text + `}
button{margin-top:1.4rem;width:100%;padding:.7rem;border:0;border-radius:6px;background:` + Accent + `;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:` + Secondary + `;color:` + Text + `}
.error{background:` + ErrorBg + `;color:` + ErrorText + `;padding:.6rem .8rem;border-radius:6px}
.notice{background:` + NoticeBg + `;padding:.6rem .8rem;border-radius:6px}
.hint{font-size:.9rem;color:` + Muted + `;margin:.3rem 0 0}
.code{font-family:ui-monospace,monospace;font-size:1.3rem;letter-spacing:.1rem}
.links{margin-top:1.2rem;font-size:.95rem}
footer{text-align:center;font-size:.85rem;color:` + Muted + `;margin-bottom:2rem}
`

// layout defines "page-start" and "page-end" around a page's own content.
// Their data needs the fields Title, Site (after the title, e.g. "hello
// sandbox") and Footer (may be empty).
const layout = `{{define "page-start"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · {{.Site}}</title>
<style>` + css + `</style>
</head>
<body>
<main>
{{end}}
{{define "page-end"}}</main>
{{with .Footer}}<footer>{{.}}</footer>
{{end}}</body>
</html>
{{end}}`

// New returns a template set named name that holds the layout; parse the
// pages into it.
func New(name string) *template.Template {
	return template.Must(template.New(name).Parse(layout))
}
