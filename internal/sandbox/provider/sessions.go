package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"
)

// browserSession is the provider's own login session (like Auth0's SSO
// cookie): while it lasts, /authorize skips the password form.
type browserSession struct {
	id       string
	userID   string
	authTime time.Time
	expires  time.Time
}

func (s *storage) createSession(userID string, now time.Time) (browserSession, error) {
	id, err := randomToken()
	if err != nil {
		return browserSession{}, err
	}
	bs := &browserSession{id: id, userID: userID, authTime: now, expires: now.Add(s.cfg.SessionTTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now, false)
	if len(s.sessions) >= s.limits.sessions {
		s.sweepLocked(now, true)
	}
	if len(s.sessions) >= s.limits.sessions {
		// Still full: evict the session that would expire first rather than
		// refuse logins. That browser just has to type its password again.
		s.log.Warn("too many browser sessions; evicting the oldest", "limit", s.limits.sessions)
		delete(s.sessions, soonestExpiring(s.sessions, func(b *browserSession) time.Time { return b.expires }))
	}
	s.sessions[id] = bs
	return *bs, nil
}

// session returns the live session with this id and its user.
func (s *storage) session(id string) (browserSession, user, bool) {
	s.mu.Lock()
	bs, ok := s.sessions[id]
	var cp browserSession
	if ok {
		cp = *bs
	}
	s.mu.Unlock()
	if !ok || time.Now().After(cp.expires) {
		return browserSession{}, user{}, false
	}
	u, ok := s.users.get(cp.userID)
	if !ok {
		return browserSession{}, user{}, false
	}
	return cp, u, true
}

func (s *storage) endSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

func (s *storage) endUserSessions(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, bs := range s.sessions {
		if bs.userID == userID {
			delete(s.sessions, id)
		}
	}
}

// cookieNames are per issuer: browsers do not separate cookies by port, and
// several sandboxes on 127.0.0.1 must not read each other's cookies.
type cookieNames struct {
	session string
	csrf    string
}

func newCookieNames(issuer string) cookieNames {
	sum := sha256.Sum256([]byte(issuer))
	suffix := hex.EncodeToString(sum[:4])
	return cookieNames{session: "hello_idp_session_" + suffix, csrf: "hello_idp_csrf_" + suffix}
}

func (p *Provider) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   p.issuer.Scheme == "https",
		// Lax: the cookie must come along when the CLI opens /authorize in
		// the browser (a top-level navigation from elsewhere).
		SameSite: http.SameSiteLaxMode,
	}
}

// currentSession returns the browser's live provider session, if any.
func (p *Provider) currentSession(r *http.Request) (browserSession, user, bool) {
	c, err := r.Cookie(p.cookies.session)
	if err != nil || c.Value == "" {
		return browserSession{}, user{}, false
	}
	return p.store.session(c.Value)
}

// startSession logs the browser in as userID.
func (p *Provider) startSession(w http.ResponseWriter, userID string) (browserSession, error) {
	bs, err := p.store.createSession(userID, time.Now())
	if err != nil {
		return browserSession{}, err
	}
	http.SetCookie(w, p.cookie(p.cookies.session, bs.id, int(p.cfg.SessionTTL/time.Second)))
	return bs, nil
}

// endBrowserSession forgets the browser's session on both sides.
func (p *Provider) endBrowserSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(p.cookies.session); err == nil {
		p.store.endSession(c.Value)
	}
	http.SetCookie(w, p.cookie(p.cookies.session, "", -1))
}

// csrfToken returns the token to embed in a form. It is an HMAC of a random
// per-browser cookie (set here if missing), so a page on another origin can
// neither read nor forge it.
func (p *Provider) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	var seed string
	if c, err := r.Cookie(p.cookies.csrf); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		if seed, err = randomToken(); err != nil {
			return "", err
		}
		http.SetCookie(w, p.cookie(p.cookies.csrf, seed, 0))
	}
	return p.csrfMAC(seed), nil
}

// checkCSRF verifies the csrf_token form field of a POST against the cookie.
func (p *Provider) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(p.cookies.csrf)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	got := r.PostFormValue("csrf_token")
	return hmac.Equal([]byte(got), []byte(p.csrfMAC(c.Value)))
}

func (p *Provider) csrfMAC(seed string) string {
	m := hmac.New(sha256.New, p.csrfKey[:])
	m.Write([]byte("csrf:" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
