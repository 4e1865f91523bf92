package provider

import (
	"errors"
	"net/http"

	"github.com/hello-cli/hello/internal/sandbox/store"
)

const msgBadUserCode = "That code is not valid or has expired. Check the code on your device."

// errTooManyGuesses is returned by lookupUserCode once the client is over
// the failure limit; the 429 page has been written.
var errTooManyGuesses = errors.New("too many failed user-code lookups")

// lookupUserCode is how every page finds the device authorization a user
// code names. Each miss counts against the client's address, whichever
// page it came from (the GET pages too, since their answers tell a live
// code from a dead one); over the limit it answers 429 itself and returns
// errTooManyGuesses. A miss below the limit is store.ErrNotFound, for the caller
// to render.
func (p *Provider) lookupUserCode(w http.ResponseWriter, r *http.Request, code string) (store.Device, error) {
	addr, now := clientAddr(r), p.now()
	if retry, blocked := p.guesses.blocked(addr, now); blocked {
		if skipped, ok := p.folds.Allow("user-code lookups refused", now); ok {
			p.log.Warn("device code lookups refused: too many wrong codes", "addr", addr, "refused_since_last_line", skipped)
		}
		p.tooManyAttempts(w, retry)
		return store.Device{}, errTooManyGuesses
	}
	d, ok := p.store.PendingDevice(code)
	if !ok {
		p.guesses.fail(addr, now)
		return store.Device{}, store.ErrNotFound
	}
	return d, nil
}

// handleDevice is the verification URI: a form to type the user code,
// pre-filled from verification_uri_complete. The user still submits it, so
// a link alone cannot make anyone approve a stranger's device.
func (p *Provider) handleDevice(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		p.showDeviceForm(w, r, http.StatusOK, r.URL.Query().Get("user_code"), "")
	case http.MethodPost:
		code := r.PostFormValue("user_code")
		if !p.checkCSRF(r) {
			p.showDeviceForm(w, r, http.StatusForbidden, code, msgFormExpired)
			return
		}
		d, err := p.lookupUserCode(w, r, code)
		if errors.Is(err, errTooManyGuesses) {
			return
		}
		if err != nil {
			p.showDeviceForm(w, r, http.StatusOK, code, msgBadUserCode)
			return
		}
		f := flow{device: &d}
		if _, _, ok := p.currentSession(r); ok {
			http.Redirect(w, r, approvePath+"?"+f.query().Encode(), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, loginPath+"?"+f.query().Encode(), http.StatusSeeOther)
	default:
		p.methodNotAllowed(w, "GET, HEAD, POST")
	}
}

func (p *Provider) showDeviceForm(w http.ResponseWriter, r *http.Request, status int, code, errMsg string) {
	csrf, err := p.csrfToken(w, r)
	if err != nil {
		p.errorPage(w, http.StatusInternalServerError, "Could not prepare the form.")
		return
	}
	if len(code) > 32 {
		code = code[:32]
	}
	p.render(w, status, "device", pageData{Title: "Connect a device", CSRF: csrf, UserCode: code, Error: errMsg})
}

// handleDeviceApprove asks the logged-in user to approve or deny the device.
func (p *Provider) handleDeviceApprove(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		p.methodNotAllowed(w, "GET, HEAD, POST")
		return
	}
	d, err := p.lookupUserCode(w, r, r.FormValue("user_code"))
	if errors.Is(err, errTooManyGuesses) {
		return
	}
	if err != nil {
		p.message(w, http.StatusBadRequest, "Code expired", msgBadUserCode, pageLink{Href: devicePath, Label: "Enter a code"})
		return
	}
	f := flow{device: &d}
	bs, u, ok := p.currentSession(r)
	if !ok {
		http.Redirect(w, r, loginPath+"?"+f.query().Encode(), http.StatusSeeOther)
		return
	}
	if r.Method != http.MethodPost {
		csrf, err := p.csrfToken(w, r)
		if err != nil {
			p.errorPage(w, http.StatusInternalServerError, "Could not prepare the form.")
			return
		}
		data := f.data("Approve device", csrf)
		data.Client, data.User, data.Scopes = d.ClientID, u.Email, d.Scopes
		data.Asks = plainAsks(d.Scopes, d.Audience, p.cfg.Audience)
		p.render(w, http.StatusOK, "approve", data)
		return
	}
	if !p.checkCSRF(r) {
		p.errorPage(w, http.StatusForbidden, msgFormExpired)
		return
	}
	var approve bool
	switch r.PostFormValue("action") {
	case "approve":
		approve = true
	case "deny":
	default:
		p.errorPage(w, http.StatusBadRequest, "Choose Approve or Deny.")
		return
	}
	if !p.store.DecideDevice(d.UserCode, u.ID, bs.AuthTime, approve) {
		p.message(w, http.StatusBadRequest, "Code expired", msgBadUserCode)
		return
	}
	if approve {
		p.log.Info("device approved", "user", u.ID, "client", d.ClientID)
		p.message(w, http.StatusOK, "Device connected", "Your device is now signed in. You can return to it and close this window.")
		return
	}
	p.log.Info("device denied", "user", u.ID, "client", d.ClientID)
	p.message(w, http.StatusOK, "Request denied", "The device was not signed in. You can close this window.")
}
