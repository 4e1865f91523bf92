package provider

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/hello-cli/hello/internal/sandbox/store"
)

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
func (p *Provider) currentSession(r *http.Request) (store.Session, store.User, bool) {
	c, err := r.Cookie(p.cookies.session)
	if err != nil || c.Value == "" {
		return store.Session{}, store.User{}, false
	}
	return p.store.Session(c.Value)
}

// startSession logs the browser in as userID.
func (p *Provider) startSession(w http.ResponseWriter, userID string) (store.Session, error) {
	bs, err := p.store.CreateSession(userID)
	if err != nil {
		return store.Session{}, err
	}
	http.SetCookie(w, p.cookie(p.cookies.session, bs.ID, int(p.cfg.SessionTTL/time.Second)))
	return bs, nil
}

// endBrowserSession forgets the browser's session on both sides.
func (p *Provider) endBrowserSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(p.cookies.session); err == nil {
		p.store.EndSession(c.Value)
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

// randomToken returns 256 random bits, base64url-encoded.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
