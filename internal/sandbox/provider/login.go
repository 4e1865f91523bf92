package provider

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/hello-cli/hello/internal/sandbox/store"
)

const (
	msgWrongCredentials = "Wrong email or password."
	msgFormExpired      = "This form has expired. Please try again."
	msgFlowExpired      = "This sign-in request is unknown or has expired. Go back to the application and start again."
	msgFlowUsed         = "This sign-in request was already completed. Go back to the application and start again."
	msgSignupFull       = "This sandbox already has as many accounts as it keeps, so no new one can be made. Log in with an account you have, or as " + store.AliceEmail + " (password " + store.AlicePassword + ")."
	msgWrongBrowser     = "This sign-in can only be completed in the browser where you logged in. Go back to the application and start again."
)

// flow is what a login or sign-up is for: an /authorize request, a device
// authorization, or neither (someone opened /login directly).
type flow struct {
	authReq *store.AuthRequest
	device  *store.Device
}

// loadFlow reads the id / user_code parameter. When one was given but is
// unknown or expired, or the client is over the user-code failure limit,
// it answers the request itself and ok is false.
func (p *Provider) loadFlow(w http.ResponseWriter, r *http.Request) (f flow, ok bool) {
	if id := r.FormValue("id"); id != "" {
		// Opening the page marks the request as one a person is using.
		ar, err := p.store.OpenAuthRequest(id)
		if err != nil {
			p.errorPage(w, http.StatusBadRequest, msgFlowExpired)
			return flow{}, false
		}
		return flow{authReq: ar}, true
	}
	if code := r.FormValue("user_code"); code != "" {
		d, err := p.lookupUserCode(w, r, code)
		if errors.Is(err, errTooManyGuesses) {
			return flow{}, false
		}
		if err != nil {
			p.errorPage(w, http.StatusBadRequest, msgFlowExpired)
			return flow{}, false
		}
		return flow{device: &d}, true
	}
	return flow{}, true
}

// throttledMessage tells someone over the failed-password limit how long
// to wait.
func throttledMessage(wait time.Duration) string {
	wait = roundUp(wait)
	n, unit := int(wait/time.Second), "seconds"
	switch {
	case n == 1:
		unit = "second"
	case wait >= 2*time.Minute:
		n, unit = int((wait+time.Minute-1)/time.Minute), "minutes"
	}
	return fmt.Sprintf("Too many failed attempts: for your safety, signing in is paused. Try again in %d %s.", n, unit)
}

// signupThrottledMessage tells someone over the sign-up rate how long to wait.
func signupThrottledMessage(wait time.Duration) string {
	n := int(roundUp(wait) / time.Second)
	unit := "seconds"
	if n == 1 {
		unit = "second"
	}
	return fmt.Sprintf("Many accounts were just created on this sandbox, so sign-up is paused. Try again in %d %s, or log in as %s (password %s).", n, unit, store.AliceEmail, store.AlicePassword)
}

// roundUp rounds up to whole seconds, at least one.
func roundUp(d time.Duration) time.Duration {
	return max((d+time.Second-1)/time.Second*time.Second, time.Second)
}

// formFlow is the preamble of the login and sign-up pages: GET, HEAD or
// POST, and the flow they serve. It reports whether to go on.
func (p *Provider) formFlow(w http.ResponseWriter, r *http.Request) (flow, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		p.methodNotAllowed(w, "GET, HEAD, POST")
		return flow{}, false
	}
	return p.loadFlow(w, r)
}

// clientID names the application the flow is for, if any.
func (f flow) clientID() string {
	switch {
	case f.authReq != nil:
		return f.authReq.GetClientID()
	case f.device != nil:
		return f.device.ClientID
	}
	return ""
}

// query returns the flow's parameters for links between the pages.
func (f flow) query() url.Values {
	v := url.Values{}
	switch {
	case f.authReq != nil:
		v.Set("id", f.authReq.GetID())
	case f.device != nil:
		v.Set("user_code", f.device.UserCode)
	}
	return v
}

func (f flow) data(title, csrf string) pageData {
	d := pageData{Title: title, CSRF: csrf}
	if f.authReq != nil {
		d.ID = f.authReq.GetID()
		d.Username = f.authReq.LoginHint()
	}
	if f.device != nil {
		d.UserCode = f.device.UserCode
	}
	return d
}

// finish continues the flow once the browser is logged in as u with the
// browser session bs.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, f flow, u store.User, bs store.Session) {
	switch {
	case f.authReq != nil:
		err := p.store.CompleteAuthRequest(f.authReq.GetID(), bs.ID, u.ID, bs.AuthTime)
		if errors.Is(err, store.ErrAlreadyDone) {
			p.errorPage(w, http.StatusBadRequest, msgFlowUsed)
			return
		}
		if err != nil {
			p.errorPage(w, http.StatusBadRequest, msgFlowExpired)
			return
		}
		http.Redirect(w, r, callbackPath+"?id="+url.QueryEscape(f.authReq.GetID()), http.StatusSeeOther)
	case f.device != nil:
		http.Redirect(w, r, approvePath+"?"+f.query().Encode(), http.StatusSeeOther)
	default:
		p.message(w, http.StatusOK, "Signed in", "You are signed in as "+u.Email+".")
	}
}

// handleLogin serves the username + password form.
func (p *Provider) handleLogin(w http.ResponseWriter, r *http.Request) {
	f, ok := p.formFlow(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodPost {
		p.postLogin(w, r, f)
		return
	}
	if ar := f.authReq; ar != nil {
		// The sign-up screen was asked for, unless the user came back from
		// it with the "log in instead" link.
		if ar.WantsSignup() && r.FormValue("screen") != "login" {
			http.Redirect(w, r, signupPath+"?"+f.query().Encode(), http.StatusFound)
			return
		}
		if p.trySSO(w, r, f) {
			return
		}
	}
	p.showLogin(w, r, f, http.StatusOK, "", "")
}

// trySSO completes an /authorize request from the provider session when the
// request allows it (no prompt=login, max_age respected), like Auth0's SSO.
// It reports whether it answered the request.
func (p *Provider) trySSO(w http.ResponseWriter, r *http.Request, f flow) bool {
	ar := f.authReq
	bs, u, ok := p.currentSession(r)
	maxAge := ar.MaxAge()
	fresh := ok && !slices.Contains(ar.Prompts(), oidc.PromptLogin) &&
		(maxAge == nil || p.now().Sub(bs.AuthTime) <= time.Duration(*maxAge)*time.Second)
	if slices.Contains(ar.Prompts(), oidc.PromptNone) && !fresh {
		// prompt=none must not show a page: tell the client right away.
		_ = p.store.DeleteAuthRequest(r.Context(), ar.GetID())
		buf := newBufferedResponse()
		op.AuthRequestError(buf, r, ar, oidc.ErrLoginRequired().WithDescription("no provider session"), p.op)
		p.addIss(buf)
		buf.flushTo(w)
		return true
	}
	if !fresh {
		return false
	}
	p.finish(w, r, f, u, bs)
	return true
}

func (p *Provider) showLogin(w http.ResponseWriter, r *http.Request, f flow, status int, username, errMsg string) {
	csrf, err := p.csrfToken(w, r)
	if err != nil {
		p.errorPage(w, http.StatusInternalServerError, "Could not prepare the form.")
		return
	}
	d := f.data("Log in", csrf)
	if username != "" {
		d.Username = username
	}
	d.Error = errMsg
	if f.device != nil {
		d.Notice = "Log in to connect your device."
	}
	d.Client = f.clientID()
	d.DemoUsers = demoUsers
	// After a wrong password the email is filled in: the password is
	// what to type next.
	d.FocusPassword = errMsg != "" && d.Username != ""
	d.Links = []pageLink{{Href: signupPath + "?" + f.query().Encode(), Label: "Sign up"}}
	p.render(w, status, "login", d)
}

func (p *Provider) postLogin(w http.ResponseWriter, r *http.Request, f flow) {
	username := r.PostFormValue("username")
	if !p.checkCSRF(r) {
		p.showLogin(w, r, f, http.StatusForbidden, username, msgFormExpired)
		return
	}
	addr, now := clientAddr(r), p.now()
	// Checked before the password, which is not even compared: a right
	// one is refused too while the delay runs.
	if wait, blocked := p.logins.begin(username, addr, now); blocked {
		if skipped, ok := p.folds.Allow("login throttled", now); ok {
			p.log.Warn("login refused: too many failed passwords", "addr", addr, "retry_after", roundUp(wait).String(), "refused_since_last_line", skipped)
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(roundUp(wait)/time.Second)))
		p.showLogin(w, r, f, http.StatusTooManyRequests, username, throttledMessage(wait))
		return
	}
	u, ok := p.store.Authenticate(username, r.PostFormValue("password"))
	if !ok {
		// One message whether the email or the password was wrong.
		msg := msgWrongCredentials
		if lock := p.logins.failed(username, addr, p.now()); lock > 0 {
			p.log.Warn("login throttled: too many failed passwords", "addr", addr, "for", lock.String())
			msg += " " + throttledMessage(lock)
		}
		p.showLogin(w, r, f, http.StatusOK, username, msg)
		return
	}
	p.logins.succeeded(username, addr)
	p.endBrowserSession(w, r) // a new login replaces any older session
	bs, err := p.startSession(w, u.ID)
	if err != nil {
		p.log.Error("start session", "err", err)
		p.errorPage(w, http.StatusInternalServerError, "Could not start a session. Please try again.")
		return
	}
	p.event("user logged in", f.clientID(), u.ID)
	p.finish(w, r, f, u, bs)
}

// handleSignup serves the name + email + password form.
func (p *Provider) handleSignup(w http.ResponseWriter, r *http.Request) {
	f, ok := p.formFlow(w, r)
	if !ok {
		return
	}
	if r.Method != http.MethodPost {
		p.showSignup(w, r, f, http.StatusOK, "", "", "")
		return
	}
	name, email := r.PostFormValue("name"), r.PostFormValue("email")
	if !p.checkCSRF(r) {
		p.showSignup(w, r, f, http.StatusForbidden, name, email, msgFormExpired)
		return
	}
	now := p.now()
	if wait, blocked := p.signups.blocked(now); blocked {
		if skipped, ok := p.folds.Allow("sign-up throttled", now); ok {
			p.log.Warn("sign-up refused: too many new accounts this minute", "retry_after", roundUp(wait).String(), "refused_since_last_line", skipped)
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(roundUp(wait)/time.Second)))
		p.showSignup(w, r, f, http.StatusTooManyRequests, name, email, signupThrottledMessage(wait))
		return
	}
	u, err := p.store.SignUp(r.Context(), name, email, r.PostFormValue("password"))
	var invalid *store.SignupError
	if err == nil || errors.Is(err, store.ErrEmailTaken) {
		p.signups.attempt(now) // both cost a password hash
	}
	switch {
	case errors.Is(err, store.ErrTooManyUsers):
		if skipped, ok := p.folds.Allow("sign-up full", now); ok {
			p.log.Warn("sign-up refused: the sandbox keeps no more accounts", "refused_since_last_line", skipped)
		}
		p.showSignup(w, r, f, http.StatusForbidden, name, email, msgSignupFull)
		return
	case errors.Is(err, store.ErrEmailTaken):
		p.showSignup(w, r, f, http.StatusConflict, name, email, "An account with this email already exists. Log in instead.")
		return
	case errors.As(err, &invalid):
		p.showSignup(w, r, f, http.StatusBadRequest, name, email, invalid.Msg)
		return
	case err != nil:
		p.log.Error("sign up", "err", err)
		p.errorPage(w, http.StatusInternalServerError, "Could not create the account. Please try again.")
		return
	}
	p.log.Info("user signed up", "user", u.ID, "client", f.clientID())
	p.endBrowserSession(w, r)
	bs, err := p.startSession(w, u.ID)
	if err != nil {
		p.log.Error("start session", "err", err)
		p.errorPage(w, http.StatusInternalServerError, "Could not start a session. Please try again.")
		return
	}
	p.finish(w, r, f, u, bs)
}

func (p *Provider) showSignup(w http.ResponseWriter, r *http.Request, f flow, status int, name, email, errMsg string) {
	csrf, err := p.csrfToken(w, r)
	if err != nil {
		p.errorPage(w, http.StatusInternalServerError, "Could not prepare the form.")
		return
	}
	d := f.data("Sign up", csrf)
	d.Name, d.Email, d.Error = name, email, errMsg
	d.Client = f.clientID()
	d.MinPassword, d.MaxPassword = store.MinPasswordLen, store.MaxPasswordLen
	if d.Email == "" {
		d.Email = d.Username // login_hint
	}
	back := f.query()
	back.Set("screen", "login")
	d.Links = []pageLink{{Href: loginPath + "?" + back.Encode(), Label: "Log in"}}
	p.render(w, status, "signup", d)
}

// handleLoggedOut is where end_session lands without a valid return address.
func (p *Provider) handleLoggedOut(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.methodNotAllowed(w, "GET, HEAD")
		return
	}
	p.message(w, http.StatusOK, "You are logged out", "You are logged out of the hello sandbox. You can close this window.")
}
