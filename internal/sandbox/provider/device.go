package provider

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// deviceAuth is one RFC 8628 device authorization.
type deviceAuth struct {
	deviceCode string
	userCode   string // as shown, e.g. "BCDF-GHJK"
	clientID   string
	scopes     []string
	audience   string
	expires    time.Time
	lastPoll   time.Time

	done, denied bool
	consumed     bool // tokens were issued; the device code is spent
	subject      string
	authTime     time.Time
}

// normalizeUserCode lets people type the code in any case, with or without
// the dash or spaces.
func normalizeUserCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	// Unknown scopes are dropped, as the library does for /authorize.
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return !slices.Contains(supportedScopes(), sc) })
	d := &deviceAuth{
		deviceCode: deviceCode, userCode: userCode, clientID: clientID, scopes: scopes,
		audience: extrasFrom(ctx).audience, expires: expires,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.sweepLocked(now, false)
	if len(s.devices) >= s.limits.devices {
		s.sweepLocked(now, true)
		if len(s.devices) >= s.limits.devices {
			s.log.Warn("too many device authorizations; refusing", "limit", s.limits.devices)
			return errTemporarilyUnavailable("too many device sign-ins in progress; try again in a few minutes")
		}
	}
	key := normalizeUserCode(userCode)
	if _, taken := s.userCodes[key]; taken {
		return op.ErrDuplicateUserCode
	}
	s.devices[deviceCode] = d
	s.userCodes[key] = deviceCode
	return nil
}

// GetDeviceAuthorizatonState (sic, the library's spelling) reports the state
// to a polling client. An approved state is handed out once: the device
// code is then spent.
func (s *storage) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.clientID != clientID || d.consumed {
		return nil, errNotFound
	}
	st := &op.DeviceAuthorizationState{
		ClientID: d.clientID,
		Scopes:   slices.Clone(d.scopes),
		Expires:  d.expires,
		Done:     d.done,
		Denied:   d.denied,
		Subject:  d.subject,
		AuthTime: d.authTime,
	}
	if d.audience != "" {
		st.Audience = []string{d.audience} // the library appends the client id
	}
	if d.done {
		st.AMR = []string{"pwd"}
		d.consumed = true
	}
	return st, nil
}

// checkDevicePoll runs before the library handles a device_code token
// request. It answers what the library cannot: slow_down when the client
// polls faster than the interval (the library only knows slow_down as a
// storage timeout), and invalid_grant for an unknown or spent code (the
// library would say access_denied).
func (s *storage) checkDevicePoll(clientID, deviceCode string, now time.Time) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.clientID != clientID {
		return oidc.ErrInvalidGrant().WithDescription("unknown device_code")
	}
	if d.consumed {
		return oidc.ErrInvalidGrant().WithDescription("device_code already used")
	}
	// Clients that poll on a ticker (golang.org/x/oauth2 does) can send two
	// requests slightly closer than the interval when one was slow, so
	// allow a quarter of the interval (at most 1s) of jitter.
	interval := s.cfg.DeviceInterval
	tolerance := min(interval/4, time.Second)
	last := d.lastPoll
	d.lastPoll = now
	if !last.IsZero() && now.Sub(last) < interval-tolerance {
		return oidc.ErrSlowDown().WithDescription("polling too fast; wait the interval (plus 5s) between requests")
	}
	return nil
}

// pendingDevice returns a copy of the device authorization a user code
// names, if it can still be approved.
func (s *storage) pendingDevice(userCode string) (deviceAuth, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.userCodes[normalizeUserCode(userCode)]
	if !ok {
		return deviceAuth{}, false
	}
	d, ok := s.devices[dc]
	if !ok || d.done || d.denied || time.Now().After(d.expires) {
		return deviceAuth{}, false
	}
	return *d, true
}

// decideDevice records the user's approve / deny choice.
func (s *storage) decideDevice(userCode, subject string, authTime time.Time, approve bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.userCodes[normalizeUserCode(userCode)]
	if !ok {
		return false
	}
	d, ok := s.devices[dc]
	if !ok || d.done || d.denied || time.Now().After(d.expires) {
		return false
	}
	if approve {
		d.done, d.subject, d.authTime = true, subject, authTime
	} else {
		d.denied = true
	}
	return true
}

const msgBadUserCode = "That code is not valid or has expired. Check the code on your device."

// errTooManyGuesses is returned by lookupUserCode once the client is over
// the failure limit; the 429 page has been written.
var errTooManyGuesses = errors.New("too many failed user-code lookups")

// lookupUserCode is how every page finds the device authorization a user
// code names. Each miss counts against the client's address, whichever
// page it came from (the GET pages too, since their answers tell a live
// code from a dead one); over the limit it answers 429 itself and returns
// errTooManyGuesses. A miss below the limit is errNotFound, for the caller
// to render.
func (p *Provider) lookupUserCode(w http.ResponseWriter, r *http.Request, code string) (deviceAuth, error) {
	addr, now := clientAddr(r), time.Now()
	if retry, blocked := p.guesses.blocked(addr, now); blocked {
		p.log.Warn("user-code lookups refused: too many failures", "addr", addr)
		p.tooManyAttempts(w, retry)
		return deviceAuth{}, errTooManyGuesses
	}
	d, ok := p.store.pendingDevice(code)
	if !ok {
		p.guesses.fail(addr, now)
		return deviceAuth{}, errNotFound
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
		data.Client, data.User, data.Scopes = d.clientID, u.Email, d.scopes
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
	if !p.store.decideDevice(d.userCode, u.ID, bs.authTime, approve) {
		p.message(w, http.StatusBadRequest, "Code expired", msgBadUserCode)
		return
	}
	if approve {
		p.log.Info("device approved", "sub", u.ID, "client", d.clientID)
		p.message(w, http.StatusOK, "Device connected", "Your device is now signed in. You can return to it and close this window.")
		return
	}
	p.message(w, http.StatusOK, "Request denied", "The device was not signed in. You can close this window.")
}
