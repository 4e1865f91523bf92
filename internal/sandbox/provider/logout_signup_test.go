package provider

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestEndSession(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()
	endSession := s.url + "/end_session"

	t.Run("allowed redirect", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, s)
		tok, _ := b.loginTokens(conf, AliceEmail, AlicePassword)
		idToken, _ := tok.Extra("id_token").(string)
		q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"http://localhost:51234/"}, "state": {"bye"}}
		p := b.get(endSession + "?" + q.Encode())
		if p.status != http.StatusFound || p.header.Get("Location") != "http://localhost:51234/?state=bye" {
			t.Fatalf("end_session: %d Location %q", p.status, p.header.Get("Location"))
		}
		// The provider session is gone: the next login asks for the password.
		p = b.get(newPKCE().authURL(conf))
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="password"`) {
			t.Errorf("after logout: %d, want the login form", p.status)
		}
	})

	t.Run("refused redirects", func(t *testing.T) {
		t.Parallel()
		for _, uri := range []string{
			"https://evil.example.com/", "http://localhost:4040/other", "https://localhost:4040/",
			"http://user@localhost:4040/", "http://127.0.0.1:4040/?next=x", "http://localhost/",
		} {
			b := newBrowser(t, s)
			tok, _ := b.loginTokens(conf, BobEmail, BobPassword)
			idToken, _ := tok.Extra("id_token").(string)
			q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {uri}}
			p := b.get(endSession + "?" + q.Encode())
			if p.header.Get("Location") != "" || p.status != http.StatusBadRequest || !strings.Contains(p.body, "You are logged out") {
				t.Errorf("%s: %d Location %q, want the logged-out page and no redirect", uri, p.status, p.header.Get("Location"))
			}
			// Refused or not, the browser session has ended.
			if p := b.get(newPKCE().authURL(conf)); !strings.Contains(p.body, `id="password"`) {
				t.Errorf("%s: session survived the logout", uri)
			}
		}
	})

	t.Run("no redirect", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, s)
		p := b.get(endSession)
		if p.status != http.StatusOK || p.url.Path != loggedOutPath || !strings.Contains(p.body, "You are logged out") {
			t.Errorf("bare end_session: %d at %s", p.status, p.url)
		}
	})
}

func TestSignup(t *testing.T) {
	t.Parallel()
	s := startIDP(t, nil)
	conf := s.oauthConfig()

	for name, opt := range map[string]oauth2.AuthCodeOption{
		"screen_hint": oauth2.SetAuthURLParam("screen_hint", "signup"),
		"prompt":      oauth2.SetAuthURLParam("prompt", "create"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			email := "carol-" + name + "@example.com"
			b := newBrowser(t, s)
			k := newPKCE()
			p := b.get(k.authURL(conf, opt))
			if p.url.Path != signupPath {
				t.Fatalf("%s led to %s, want the sign-up page", name, p.url)
			}
			for _, want := range []string{`id="name"`, `id="email"`, `id="password"`, `id="submit"`, `href="/login?`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("sign-up page lacks %s", want)
				}
			}
			// Invalid input keeps the form with a message.
			if again := b.submit(p, map[string]string{"name": "Carol", "email": "not-an-email", "password": "long-enough"}); !strings.Contains(again.body, "valid email") {
				t.Errorf("bad email accepted: %d", again.status)
			}
			done := b.submit(p, map[string]string{"name": "Carol <b>Example</b>", "email": email, "password": "carol-password"})
			code := callback(t, done).Get("code")
			tok, err := conf.Exchange(t.Context(), code, oauth2.VerifierOption(k.verifier))
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.rp.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatal(err)
			}
			if info.Email != email || info.EmailVerified || !strings.HasPrefix(info.Subject, "sandbox|") {
				t.Errorf("new user's userinfo %+v", info)
			}

			// The new user can log in from a fresh browser.
			newBrowser(t, s).loginTokens(conf, email, "carol-password")

			// Signing up again with the same address is refused.
			other := newBrowser(t, s)
			p = other.get(newPKCE().authURL(conf, opt))
			dup := other.submit(p, map[string]string{"name": "Carol", "email": strings.ToUpper(email), "password": "carol-password"})
			if dup.status != http.StatusConflict || !strings.Contains(dup.body, "already exists") {
				t.Errorf("duplicate sign-up: %d", dup.status)
			}
		})
	}

	// The sign-up page escapes what it echoes.
	b := newBrowser(t, s)
	p := b.get(newPKCE().authURL(conf, oauth2.SetAuthURLParam("screen_hint", "signup")))
	again := b.submit(p, map[string]string{"name": `<script>x</script>`, "email": "bad", "password": "x"})
	if strings.Contains(again.body, "<script>x") {
		t.Error("sign-up page echoes unescaped input")
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	persistent := func(c *Config) { c.Ephemeral, c.StateDir = false, dir }

	first := startIDP(t, persistent)
	b := newBrowser(t, first)
	conf := first.oauthConfig()
	p := b.get(newPKCE().authURL(conf, oauth2.SetAuthURLParam("screen_hint", "signup")))
	callback(t, b.submit(p, map[string]string{"name": "Dave", "email": "dave@example.com", "password": "dave-password"}))
	first.srv.Close()

	for name, want := range map[string]os.FileMode{"": 0o700, "signing-key.pem": 0o600, "users.json": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode %v, want %v", filepath.Join(dir, name), got, want)
		}
	}

	second := startIDP(t, persistent)
	if second.store.KeyID() != first.store.KeyID() {
		t.Errorf("kid changed across restart: %q -> %q", first.store.KeyID(), second.store.KeyID())
	}
	newBrowser(t, second).loginTokens(second.oauthConfig(), "dave@example.com", "dave-password")

	// An ephemeral provider writes nothing and starts from scratch.
	unused := filepath.Join(t.TempDir(), "unused")
	eph := startIDP(t, func(c *Config) { c.StateDir = unused })
	if eph.store.KeyID() == first.store.KeyID() {
		t.Error("ephemeral provider reused the persisted key")
	}
	if _, err := os.Stat(unused); !os.IsNotExist(err) {
		t.Errorf("ephemeral provider touched its StateDir: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Issuer: "http://example.com", Ephemeral: true},
		{Issuer: "ftp://127.0.0.1:1", Ephemeral: true},
		{Issuer: "http://127.0.0.1:1/path", Ephemeral: true},
		{Issuer: "127.0.0.1:5055", Ephemeral: true},
		{Issuer: "http://127.0.0.1:5055"}, // neither StateDir nor Ephemeral
	} {
		if _, err := New(t.Context(), cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}
