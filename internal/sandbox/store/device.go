package store

import (
	"context"
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
	// entered is set once someone typed the user code on the device
	// page. Codes nobody entered are what a full share drops first.
	entered  bool
	subject  string
	authTime time.Time
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

// StoreDeviceAuthorization records a new device authorization. The
// library's expiry is computed on the wall clock; the store keeps its own,
// on Config.Now.
func (s *Store) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, _ time.Time, scopes []string) error {
	// Unknown scopes are dropped, as the library does for /authorize.
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return !slices.Contains(SupportedScopes(), sc) })
	d := &deviceAuth{
		deviceCode: deviceCode, userCode: userCode, clientID: clientID, scopes: scopes,
		audience: requestFrom(ctx).Audience,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	d.expires = now.Add(s.cfg.DeviceCodeTTL)
	// As for pending sign-ins: a full share drops its oldest code that
	// nobody has typed in yet before it refuses.
	f, evicted := s.devices.makeRoom(clientID, now)
	if evicted > 0 {
		s.noteEvicted("the oldest device codes nobody entered", clientID, evicted)
	}
	if f.full {
		return s.busy(ctx, "device sign-ins", clientID, f, "too many device sign-ins in progress; try again in a few minutes")
	}
	key := normalizeUserCode(userCode)
	if _, taken := s.userCodes[key]; taken {
		return op.ErrDuplicateUserCode
	}
	s.devices.add(deviceCode, clientID, d, now)
	s.userCodes[key] = deviceCode
	return nil
}

// GetDeviceAuthorizatonState (sic, the library's spelling) reports the state
// to a polling client. An approved state is handed out once: the device
// code is then spent.
func (s *Store) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices.get(deviceCode)
	if !ok || d.clientID != clientID || d.consumed {
		return nil, ErrNotFound
	}
	st := &op.DeviceAuthorizationState{
		ClientID: d.clientID,
		Scopes:   slices.Clone(d.scopes),
		// The library compares this with the wall clock: translate.
		Expires:  time.Now().Add(d.expires.Sub(s.now())),
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

// CheckDevicePoll runs before the library handles a device_code token
// request. It answers what the library cannot: slow_down when the client
// polls faster than the interval (the library only knows slow_down as a
// storage timeout), and invalid_grant for an unknown or spent code (the
// library would say access_denied).
func (s *Store) CheckDevicePoll(clientID, deviceCode string) *oidc.Error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices.get(deviceCode)
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

// Device is what the approval page shows of a pending device authorization.
type Device struct {
	UserCode string // as shown, e.g. "BCDF-GHJK"
	ClientID string
	Scopes   []string
	Audience string // the API asked for, if any
}

// PendingDevice returns the device authorization a user code names, if it
// can still be approved.
func (s *Store) PendingDevice(userCode string) (Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.userCodes[normalizeUserCode(userCode)]
	if !ok {
		return Device{}, false
	}
	d, ok := s.devices.get(dc)
	if !ok || d.done || d.denied || s.now().After(d.expires) {
		return Device{}, false
	}
	d.entered = true
	return Device{UserCode: d.userCode, ClientID: d.clientID, Scopes: slices.Clone(d.scopes), Audience: d.audience}, true
}

// DecideDevice records the user's approve / deny choice.
func (s *Store) DecideDevice(userCode, subject string, authTime time.Time, approve bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.userCodes[normalizeUserCode(userCode)]
	if !ok {
		return false
	}
	d, ok := s.devices.get(dc)
	if !ok || d.done || d.denied || s.now().After(d.expires) {
		return false
	}
	if approve {
		d.done, d.subject, d.authTime = true, subject, authTime
	} else {
		d.denied = true
	}
	return true
}
