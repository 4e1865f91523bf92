package provider

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"

	"github.com/hello-cli/hello/internal/webpage"
)

// Paths of the provider's own pages.
const (
	loginPath     = "/login"
	signupPath    = "/signup"
	devicePath    = "/device"
	approvePath   = "/device/approve"
	loggedOutPath = "/logged-out"
	statsPath     = "/sandbox/stats"
	callbackPath  = "/authorize/callback" // the library's, where a finished login goes
)

// pageData feeds every template; each page uses the fields it needs.
type pageData struct {
	Title    string
	Error    string // shown in red above the form
	Notice   string // shown neutrally
	CSRF     string
	ID       string // auth request id
	UserCode string // device user code
	Username string // login prefill
	Name     string // sign-up prefill
	Email    string // sign-up prefill
	Client   string
	Scopes   []string
	User     string
	Text     string // body of the message page
	Links    []pageLink
	Hidden   []hiddenField // request parameters a form carries on
	// Login page: the application signing in, the sandbox's demo
	// accounts, and whether the password field gets the focus (after a
	// wrong password, the email is already there).
	DemoUsers     []demoUser
	FocusPassword bool
	// Password rule of the sign-up page.
	MinPassword, MaxPassword int
	// Approve page: what the device asks for, in plain words.
	Asks []string

	Site, Footer string // for the shared layout; set by render
}

type demoUser struct{ Email, Password, Note string }

var demoUsers = []demoUser{
	{AliceEmail, AlicePassword, "may read the admin message"},
	{BobEmail, BobPassword, "may not"},
}

// plainAsks says what a device sign-in asks for, in words a newcomer
// understands, instead of scope names.
func plainAsks(scopes []string, audience, api string) []string {
	var asks []string
	if slices.Contains(scopes, "openid") {
		asks = append(asks, "who you are")
	}
	switch p, e := slices.Contains(scopes, "profile"), slices.Contains(scopes, "email"); {
	case p && e:
		asks = append(asks, "your profile and email address")
	case p:
		asks = append(asks, "your profile (name)")
	case e:
		asks = append(asks, "your email address")
	}
	if slices.Contains(scopes, "offline_access") {
		asks = append(asks, "staying signed in (it can renew its access without asking you again)")
	}
	if audience != "" && audience == api {
		asks = append(asks, "calling the Hello World API for you")
	}
	return asks
}

type hiddenField struct {
	Name  string
	Value string
}

type pageLink struct {
	Href  string
	Label string
}

type pages struct{ t *template.Template }

func newPages() (*pages, error) {
	t, err := webpage.New("pages").Parse(pageTemplates)
	if err != nil {
		return nil, err
	}
	return &pages{t: t}, nil
}

// render writes a page in the shared look, with the headers every page
// gets (package webpage).
func (p *Provider) render(w http.ResponseWriter, status int, name string, data pageData) {
	data.Site, data.Footer = "hello sandbox", "hello sandbox identity provider — for local testing only"
	var buf bytes.Buffer
	if err := p.pages.t.ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("render page", "page", name, "err", err)
		status, buf = http.StatusInternalServerError, bytes.Buffer{}
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong.</p>")
	}
	webpage.SetHeaders(w.Header(), "")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// message renders a page with a heading, a sentence and optional links.
func (p *Provider) message(w http.ResponseWriter, status int, title, text string, links ...pageLink) {
	p.render(w, status, "message", pageData{Title: title, Text: text, Links: links})
}

// errorPage is the browser-facing counterpart of an OAuth error response.
func (p *Provider) errorPage(w http.ResponseWriter, status int, text string) {
	p.message(w, status, "Something went wrong", text)
}

func (p *Provider) methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	p.errorPage(w, http.StatusMethodNotAllowed, "This page does not accept that kind of request.")
}

const pageTemplates = `
{{define "head"}}{{template "page-start" .}}<h1>{{.Title}}</h1>
{{with .Client}}<p class="hint" id="client">to continue to <strong>{{.}}</strong></p>{{end}}
{{with .Error}}<p class="error" id="error" role="alert">{{.}}</p>{{end}}
{{with .Notice}}<p class="notice" id="notice">{{.}}</p>{{end}}
{{end}}

{{define "foot"}}{{template "page-end" .}}{{end}}

{{define "flow"}}<input type="hidden" name="csrf_token" value="{{.CSRF}}">
{{with .ID}}<input type="hidden" name="id" value="{{.}}">{{end}}
{{with .UserCode}}<input type="hidden" name="user_code" value="{{.}}">{{end}}
{{end}}

{{define "login"}}{{template "head" .}}
<form method="post" action="/login">
{{template "flow" .}}
<label for="username">Email</label>
<input type="email" id="username" name="username" value="{{.Username}}" autocomplete="username" required{{if not .FocusPassword}} autofocus{{end}}>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required{{if .FocusPassword}} autofocus{{end}}>
<button type="submit" id="submit">Log in</button>
</form>
<p class="links">No account yet? {{range .Links}}<a id="signup-link" href="{{.Href}}">{{.Label}}</a>{{end}}</p>
{{with .DemoUsers}}<section class="notice" id="demo-users" aria-label="Demo accounts">
<p>This is the hello sandbox: try a demo account.</p>
<ul>{{range .}}<li><code>{{.Email}}</code> / <code>{{.Password}}</code> ({{.Note}})</li>
{{end}}</ul>
</section>{{end}}
{{template "foot" .}}{{end}}

{{define "signup"}}{{template "head" .}}
<form method="post" action="/signup">
{{template "flow" .}}
<label for="name">Name</label>
<input type="text" id="name" name="name" value="{{.Name}}" autocomplete="name" required autofocus>
<label for="email">Email</label>
<input type="email" id="email" name="email" value="{{.Email}}" autocomplete="email" required>
<label for="password">Password</label>
<p class="hint" id="password-rule">{{.MinPassword}} to {{.MaxPassword}} characters.</p>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="{{.MinPassword}}" maxlength="{{.MaxPassword}}" aria-describedby="password-rule" required>
<button type="submit" id="submit">Sign up</button>
</form>
<p class="links">Already have an account? {{range .Links}}<a id="login-link" href="{{.Href}}">{{.Label}}</a>{{end}}</p>
{{template "foot" .}}{{end}}

{{define "device"}}{{template "head" .}}
<p>Enter the code shown on your device or terminal. It looks like <span class="code">XXXX-XXXX</span>: eight letters, with or without the dash.</p>
<form method="post" action="/device">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="{{.UserCode}}" class="code" placeholder="XXXX-XXXX" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
<button type="submit" id="submit">Continue</button>
</form>
{{template "foot" .}}{{end}}

{{define "approve"}}{{template "head" .}}
<p><strong>{{.Client}}</strong> wants to sign in as <strong>{{.User}}</strong> on a device showing the code</p>
<p class="code">{{.UserCode}}</p>
{{with .Asks}}<p>It asks for:</p>
<ul id="asks">{{range .}}<li>{{.}}</li>
{{end}}</ul>{{end}}
<p>Only approve if you started this sign-in yourself.</p>
<form method="post" action="/device/approve">
{{template "flow" .}}
<button type="submit" id="approve" name="action" value="approve">Approve</button>
<button type="submit" id="deny" name="action" value="deny" class="secondary">Deny</button>
</form>
{{template "foot" .}}{{end}}

{{define "logout"}}{{template "head" .}}
<p>You are logged in to the hello sandbox as <strong>{{.User}}</strong>. Log out of it in this browser?</p>
<form method="post" action="/end_session">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<input type="hidden" name="confirm" value="1">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<button type="submit" id="logout">Log out</button>
</form>
{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}
<p id="message">{{.Text}}</p>
{{range .Links}}<p class="links"><a href="{{.Href}}">{{.Label}}</a></p>{{end}}
{{template "foot" .}}{{end}}
`
