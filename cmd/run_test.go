package cmd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
)

// Each run function is tested here with doubles for everything its Options
// carry; the Factory that fills them is tested through ExecuteArgs.

var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// jwt makes an unsigned token with claims, enough for display code.
func jwt(claims string) string {
	return "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
}

type fakeAPI struct {
	resp *apiclient.Response
	err  error
}

func (a fakeAPI) Message(context.Context, string) (*apiclient.Response, error) { return a.resp, a.err }

func TestMessagesRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		json    bool
		api     fakeAPI
		apiErr  error
		wantOut string
		wantErr error
	}{
		{name: "text", api: fakeAPI{resp: &apiclient.Response{Body: []byte(`{"text":"hi"}`)}}, wantOut: "hi\n"},
		{name: "json keeps the body", json: true, api: fakeAPI{resp: &apiclient.Response{Body: []byte(`{"text":"hi","n":1}`)}}, wantOut: "\"n\": 1"},
		{name: "not a message", api: fakeAPI{resp: &apiclient.Response{Body: []byte(`<html>`)}}, wantErr: errAny},
		{name: "API error passes through", api: fakeAPI{err: &apiclient.Error{Err: &httperr.Error{What: httperr.API, StatusCode: 403}}}, wantErr: &httperr.Error{}},
		{name: "no session", apiErr: session.ErrNotLoggedIn, wantErr: session.ErrNotLoggedIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, _ := iostreams.Test()
			o := &MessagesOptions{Kind: "protected", IO: io, JSON: tc.json,
				API: func(context.Context, string) (MessageAPI, error) { return tc.api, tc.apiErr }}
			err := messagesRun(t.Context(), o)
			checkErr(t, err, tc.wantErr)
			if !strings.Contains(out.String(), tc.wantOut) || (tc.wantErr != nil && out.Len() != 0) {
				t.Errorf("stdout = %q, want %q", out, tc.wantOut)
			}
		})
	}
}

// errAny matches any error in checkErr.
var errAny = errors.New("any error")

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	var he *httperr.Error
	switch {
	case want == nil && err != nil:
		t.Fatalf("error %v, want none", err)
	case want == nil:
	case want == errAny && err == nil:
		t.Fatal("no error")
	case want == errAny:
	case errors.As(want, &he):
		if !errors.As(err, &he) {
			t.Fatalf("error %v, want an *httperr.Error", err)
		}
	case !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	}
}

func TestProfileRun(t *testing.T) {
	t.Parallel()
	id := jwt(`{"sub":"u1","name":"Alice","email":"a@example.com","email_verified":true,"iss":"x"}`)
	user := &tokencache.Entry{Token: token.Token{AccessToken: "at", IDToken: id, Grant: token.GrantAuthorizationCode}}
	userRat := &tokencache.Entry{Token: token.Token{AccessToken: "at", Grant: token.GrantAuthorizationCode,
		IDToken: jwt(`{"sub":"u1","name":"Alice","email":"a@example.com","email_verified":true,"rat":1,"at_hash":"h","nonce":"n","picture":"p"}`)}}
	for _, tc := range []struct {
		name       string
		entry      *tokencache.Entry
		info       map[string]any
		infoErr    error
		json       bool
		wantOut    []string
		wantErr    error
		wantCode   int
		wantErrOut string
		notOut     []string
	}{
		{name: "userinfo refuses the API token: the ID token's claims", entry: userRat, infoErr: &httperr.Error{What: httperr.UserInfo, StatusCode: 401, Code: "invalid_token"},
			wantOut: []string{"Alice", "a@example.com (verified)", "u1", "picture"}, notOut: []string{"rat", "at_hash", "nonce"},
			wantErrOut: "userinfo refused the access token (HTTP 401, invalid_token): showing the claims of the ID token verified at login"},
		{name: "no userinfo endpoint: the ID token's claims", entry: user, infoErr: oidcclient.ErrNoUserInfo, wantOut: []string{"Alice"}, wantErrOut: "not advertised"},
		{name: "email only in userinfo", entry: &tokencache.Entry{Token: token.Token{AccessToken: "at", IDToken: jwt(`{"sub":"u1"}`), Grant: token.GrantAuthorizationCode}},
			info: map[string]any{"sub": "u1", "email": "a@example.com"}, wantOut: []string{"a@example.com (not verified)"}},
		{name: "merged", entry: user, info: map[string]any{"sub": "u1", "nickname": "al"}, wantOut: []string{"Alice", "a@example.com (verified)", "nickname", "al"}},
		{name: "json", entry: user, info: map[string]any{"sub": "u1"}, json: true, wantOut: []string{`"iss": "x"`}},
		{name: "other subject", entry: user, info: map[string]any{"sub": "u2"}, wantErr: errAny},
		{name: "userinfo unavailable", entry: user, infoErr: &httperr.Error{What: httperr.UserInfo, StatusCode: 503}, wantErr: &httperr.Error{}},
		{name: "machine", entry: &tokencache.Entry{Token: token.Token{AccessToken: "at", Grant: token.GrantClientCredentials}}, wantErr: errAny, wantCode: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, errOut := iostreams.Test()
			o := &ProfileOptions{IO: io, JSON: tc.json,
				Entry:    func(context.Context) (*tokencache.Entry, error) { return tc.entry, nil },
				UserInfo: func(context.Context) (map[string]any, error) { return tc.info, tc.infoErr }}
			err := profileRun(t.Context(), o)
			checkErr(t, err, tc.wantErr)
			if tc.wantCode != 0 && exitCode(t.Context(), err) != tc.wantCode {
				t.Errorf("exit code %d, want %d", exitCode(t.Context(), err), tc.wantCode)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out.String(), w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut.String(), tc.wantErrOut) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErrOut, errOut)
			}
		})
	}
}

func TestTokenRun(t *testing.T) {
	t.Parallel()
	expiredID := jwt(`{"sub":"u","exp":1}`)
	freshID := jwt(`{"sub":"u","exp":4102444800}`)
	for _, tc := range []struct {
		name      string
		idToken   bool
		tok       token.Token
		json      bool
		want      string
		wantCalls int
		wantErr   error
	}{
		{name: "access token", tok: token.Token{AccessToken: "at"}, want: "at\n", wantCalls: 1},
		{name: "id token", idToken: true, tok: token.Token{AccessToken: "at", IDToken: freshID}, want: freshID + "\n", wantCalls: 1},
		{name: "expired id token renews", idToken: true, tok: token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: expiredID}, want: "\n", wantCalls: 2},
		{name: "no id token", idToken: true, tok: token.Token{AccessToken: "at", Grant: token.GrantClientCredentials}, wantErr: errAny, wantCalls: 1},
		{name: "json", json: true, tok: token.Token{AccessToken: "at"}, want: `"access_token": "at"`, wantCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, _ := iostreams.Test()
			var calls []session.Want
			o := &TokenOptions{IDToken: tc.idToken, IO: io, JSON: tc.json, Now: func() time.Time { return testNow },
				Token: func(_ context.Context, w session.Want) (*token.Token, error) {
					calls = append(calls, w)
					tok := tc.tok
					if w.Stale != "" {
						tok.IDToken = freshID
					}
					return &tok, nil
				}}
			err := tokenRun(t.Context(), o)
			checkErr(t, err, tc.wantErr)
			if len(calls) != tc.wantCalls {
				t.Errorf("%d calls to the session, want %d", len(calls), tc.wantCalls)
			}
			want := tc.want
			if tc.name == "expired id token renews" {
				want = freshID + "\n"
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("stdout = %q, want %q", out, want)
			}
		})
	}
}

func TestTokenRunNeverPrintsAnExpiredIDToken(t *testing.T) {
	t.Parallel()
	expiredID := jwt(`{"sub":"u","exp":1}`)
	for _, tc := range []struct {
		name string
		tok  token.Token
		// renewed is what the renewal hands back.
		renewed   token.Token
		wantCalls int
		wantCode  int
		wantMsg   string
	}{
		{name: "the renewal's ID token failed verification",
			tok:       token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: expiredID},
			renewed:   token.Token{AccessToken: "at2", RefreshToken: "rt2", IDToken: expiredID, IDTokenRejected: errors.New("bad signature")},
			wantCalls: 2, wantCode: 4, wantMsg: "failed verification"},
		{name: "the renewal's ID token could not be verified for now",
			tok:       token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: expiredID},
			renewed:   token.Token{AccessToken: "at2", RefreshToken: "rt2", IDToken: expiredID, IDTokenRejected: &httperr.Error{What: httperr.JWKS, StatusCode: 503}},
			wantCalls: 2, wantCode: 3, wantMsg: "try again later"},
		{name: "the renewal brought no ID token",
			tok:       token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: expiredID},
			renewed:   token.Token{AccessToken: "at2", RefreshToken: "rt2", IDToken: expiredID},
			wantCalls: 2, wantCode: 4, wantMsg: "brought no new one"},
		{name: "no refresh token to renew it",
			tok:       token.Token{AccessToken: "at", IDToken: expiredID, Grant: token.GrantDeviceCode},
			wantCalls: 1, wantCode: 4, wantMsg: "cannot renew it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, _ := iostreams.Test()
			calls := 0
			o := &TokenOptions{IDToken: true, IO: io, Now: func() time.Time { return testNow },
				Token: func(_ context.Context, w session.Want) (*token.Token, error) {
					calls++
					if w.Stale != "" {
						return &tc.renewed, nil
					}
					return &tc.tok, nil
				}}
			err := tokenRun(t.Context(), o)
			if out.Len() != 0 {
				t.Errorf("stdout = %q; an expired ID token must not be printed", out)
			}
			if got := exitCode(t.Context(), err); got != tc.wantCode || err == nil || !strings.Contains(err.Error(), tc.wantMsg) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v (exit %d); want exit %d and one sentence with %q", err, got, tc.wantCode, tc.wantMsg)
			}
			if calls != tc.wantCalls {
				t.Errorf("%d calls to the session, want %d", calls, tc.wantCalls)
			}
		})
	}
}

func TestStatusRun(t *testing.T) {
	t.Parallel()
	live := &tokencache.Entry{User: "alice@example.com", Token: token.Token{AccessToken: jwt(`{"sub":"u1","permissions":["read:admin-messages"]}`), RefreshToken: "rt", Expiry: testNow.Add(-time.Hour), Grant: token.GrantAuthorizationCode}}
	dead := &tokencache.Entry{User: "alice@example.com", Dead: true, Token: token.Token{Grant: token.GrantAuthorizationCode}}
	noRT := &tokencache.Entry{Token: token.Token{AccessToken: "at", Expiry: testNow.Add(-time.Hour), Grant: token.GrantDeviceCode}}
	corrupt := &session.CorruptError{Err: &tokencache.CorruptError{Path: "/c/x.json", Err: errors.New("invalid JSON")}}
	for _, tc := range []struct {
		name     string
		entry    *tokencache.Entry
		loadErr  error
		wantOut  []string
		wantCode int
		wantMsg  string
	}{
		{name: "renewable", entry: live, wantOut: []string{"alice@example.com", "renewed on next use", "read:admin-messages"}},
		{name: "revoked", entry: dead, wantOut: []string{"alice@example.com", "expired or was revoked"}, wantCode: 4, wantMsg: `session expired or revoked: run "hello login"`},
		{name: "expired, no refresh token", entry: noRT, wantCode: 4, wantMsg: `session expired or revoked: run "hello login"`},
		{name: "not logged in", loadErr: session.ErrNotLoggedIn, wantOut: []string{"Not logged in"}, wantCode: 4, wantMsg: `not logged in: run "hello login"`},
		{name: "corrupt", loadErr: corrupt, wantOut: []string{"Not logged in"}, wantCode: 4, wantMsg: "unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, _ := iostreams.Test()
			o := &StatusOptions{IO: io, Now: func() time.Time { return testNow }, Issuer: "https://op/", ClientID: "hello-cli",
				CachePath: "/c/x.json", Load: func() (*tokencache.Entry, error) { return tc.entry, tc.loadErr }}
			err := statusRun(t.Context(), o)
			if got := exitCode(t.Context(), err); got != tc.wantCode {
				t.Errorf("exit code %d (%v), want %d", got, err, tc.wantCode)
			}
			if tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)) {
				t.Errorf("error %v, want %q", err, tc.wantMsg)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			// JSON says the same.
			io, _, out, _ = iostreams.Test()
			o.IO, o.JSON = io, true
			_ = statusRun(t.Context(), o)
			var st Status
			if err := json.Unmarshal(out.Bytes(), &st); err != nil || st.Usable != (tc.wantCode == 0) || st.Revoked != (tc.entry == dead) {
				t.Errorf("json status %+v (%v)", st, err)
			}
		})
	}
}

// fakeAuth is a provider double for login.
type fakeAuth struct {
	device  bool
	signup  bool // has a sign-up screen
	tok     *token.Token
	err     error
	browser *oidcclient.BrowserLoginOptions
	dev     *oidcclient.DeviceLoginOptions
	manual  *oidcclient.ManualLoginOptions
	used    string
}

func (a *fakeAuth) SupportsDevice() bool { return a.device }
func (a *fakeAuth) BrowserLogin(_ context.Context, o oidcclient.BrowserLoginOptions) (*token.Token, error) {
	a.used, a.browser = "browser", &o
	return a.tok, a.err
}
func (a *fakeAuth) DeviceLogin(_ context.Context, o oidcclient.DeviceLoginOptions) (*token.Token, error) {
	a.used, a.dev = "device", &o
	return a.tok, a.err
}
func (a *fakeAuth) ManualLogin(_ context.Context, o oidcclient.ManualLoginOptions) (*token.Token, error) {
	a.used, a.manual = "manual", &o
	return a.tok, a.err
}
func (a *fakeAuth) HasSignupScreen() bool { return a.signup }
func (a *fakeAuth) ClientCredentials(context.Context) (*token.Token, error) {
	a.used = "client_credentials"
	return a.tok, a.err
}

func TestLoginRun(t *testing.T) {
	t.Parallel()
	tok := &token.Token{AccessToken: "at", IDToken: jwt(`{"sub":"u1","email":"a@example.com"}`)}
	for _, tc := range []struct {
		name       string
		o          LoginOptions
		auth       fakeAuth
		canOpen    bool
		wantUsed   string
		wantSaved  bool
		wantErr    error
		tty        bool   // every stream a terminal
		here       string // why no browser can be opened here
		wantErrOut string
		check      func(t *testing.T, a *fakeAuth)
	}{
		{name: "browser", canOpen: true, auth: fakeAuth{tok: tok}, wantUsed: "browser", wantSaved: true},
		{name: "a terminal and a browser: browser flow", tty: true, auth: fakeAuth{tok: tok, device: true}, wantUsed: "browser", wantSaved: true,
			check: func(t *testing.T, a *fakeAuth) {
				if a.browser.Open == nil {
					t.Error("the browser is not opened")
				}
			}},
		{name: "SSH: device flow, saying why", tty: true, here: "this is an SSH session", auth: fakeAuth{tok: tok, device: true}, wantUsed: "device", wantSaved: true,
			wantErrOut: "No browser can be opened here (this is an SSH session): using the device flow"},
		{name: "no terminal: device flow, saying why", auth: fakeAuth{tok: tok, device: true}, wantUsed: "device", wantSaved: true, wantErrOut: "(no terminal)"},
		{name: "device progress and --timeout", o: LoginOptions{Device: true, Timeout: time.Minute, TimeoutSet: true}, tty: true, auth: fakeAuth{tok: tok, device: true}, wantUsed: "device", wantSaved: true,
			check: func(t *testing.T, a *fakeAuth) {
				if !a.dev.Terminal || a.dev.Timeout != time.Minute {
					t.Errorf("device options %+v", *a.dev)
				}
			}},
		{name: "device without --timeout waits for the code's expiry", o: LoginOptions{Device: true, Timeout: 5 * time.Minute}, auth: fakeAuth{tok: tok, device: true}, wantUsed: "device", wantSaved: true,
			check: func(t *testing.T, a *fakeAuth) {
				if a.dev.Timeout != 0 {
					t.Errorf("device timeout %s without --timeout", a.dev.Timeout)
				}
			}},
		{name: "--manual", o: LoginOptions{Manual: true, Port: 0, Timeout: time.Minute, PAR: true}, auth: fakeAuth{tok: tok}, wantUsed: "manual", wantSaved: true,
			check: func(t *testing.T, a *fakeAuth) {
				if a.manual.Port != defaultPort || !a.manual.PAR || a.manual.Timeout != time.Minute || a.manual.In == nil {
					t.Errorf("manual options %+v", *a.manual)
				}
			}},
		{name: "signup without a sign-up screen: notice", o: LoginOptions{Signup: true}, canOpen: true, auth: fakeAuth{tok: tok}, wantUsed: "browser", wantSaved: true,
			wantErrOut: "advertises no sign-up screen"},
		{name: "no browser falls back to device", auth: fakeAuth{tok: tok, device: true}, wantUsed: "device", wantSaved: true},
		{name: "--no-browser keeps the browser flow", o: LoginOptions{NoBrowser: true}, auth: fakeAuth{tok: tok, device: true}, wantUsed: "browser", wantSaved: true},
		{name: "--device without device support", o: LoginOptions{Device: true}, auth: fakeAuth{tok: tok}, wantErr: errAny},
		{name: "client credentials", o: LoginOptions{ClientCredentials: true}, auth: fakeAuth{tok: tok}, wantUsed: "client_credentials", wantSaved: true},
		{name: "failed login saves nothing", canOpen: true, auth: fakeAuth{err: oidcclient.ErrAccessDenied}, wantUsed: "browser", wantErr: oidcclient.ErrAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, _, errOut := iostreams.Test()
			io.SetTTY(tc.tty || tc.canOpen)
			auth := tc.auth
			var saved *token.Token
			o := tc.o
			o.IO, o.Browser, o.BrowserHere = io, &webbrowser.Recorder{}, func() string { return tc.here }
			o.Provider = func(context.Context) (Authenticator, error) { return &auth, nil }
			o.Save = func(_ context.Context, t *token.Token) (*tokencache.Entry, error) {
				saved = t
				return &tokencache.Entry{Token: *t, User: who(t, "hello-cli", nil)}, nil
			}
			_, err := loginRun(t.Context(), &o)
			checkErr(t, err, tc.wantErr)
			if auth.used != tc.wantUsed || (saved != nil) != tc.wantSaved {
				t.Errorf("used %q, saved %v; want %q, %v", auth.used, saved != nil, tc.wantUsed, tc.wantSaved)
			}
			if tc.wantSaved && !strings.Contains(errOut.String(), "Logged in as a@example.com") {
				t.Errorf("stderr = %q", errOut)
			}
			if !strings.Contains(errOut.String(), tc.wantErrOut) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErrOut, errOut)
			}
			if tc.check != nil {
				tc.check(t, &auth)
			}
		})
	}
}

type fakeLogout struct {
	revokeErr    error
	revoked      []string
	noRevocation bool
	noEndSession bool
}

func (p *fakeLogout) HasRevocation() bool { return !p.noRevocation }
func (p *fakeLogout) HasEndSession() bool { return !p.noEndSession }

func (p *fakeLogout) Revoke(_ context.Context, tok, _ string) error {
	p.revoked = append(p.revoked, tok)
	return p.revokeErr
}
func (p *fakeLogout) LogoutURL(returnTo string) string {
	return "https://op/logout?returnTo=" + returnTo
}
func (p *fakeLogout) LogoutForm(string, string) (string, url.Values, bool) {
	return "", nil, false
}

func TestLogoutRun(t *testing.T) {
	t.Parallel()
	entry := &tokencache.Entry{Token: token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: "id", Grant: token.GrantAuthorizationCode}, User: "a@example.com"}
	for _, tc := range []struct {
		name        string
		o           LogoutOptions
		entry       *tokencache.Entry
		gone        *tokencache.Entry // what Delete found, when not entry
		loadErr     error
		provider    *fakeLogout
		providerErr error
		wantDeleted bool
		wantRevoked int
		wantErrOut  []string
		notErrOut   []string
	}{
		{name: "full", entry: entry, provider: &fakeLogout{}, wantDeleted: true, wantRevoked: 1, wantErrOut: []string{"Revoked the refresh token", "Removed the cached session. Logged out a@example.com.", "https://op/logout?returnTo=\n"}},
		{name: "no revocation, no end_session", entry: entry, provider: &fakeLogout{noRevocation: true, noEndSession: true}, wantDeleted: true,
			wantErrOut: []string{"stays valid at the provider until it expires", "browser session", "was not ended"}, notErrOut: []string{"open:"}},
		{name: "renewed by another process while revoking: both refresh tokens revoked", entry: entry,
			gone:     &tokencache.Entry{Token: token.Token{AccessToken: "at2", RefreshToken: "rt2", IDToken: "id", Grant: token.GrantAuthorizationCode}, User: "a@example.com"},
			provider: &fakeLogout{}, wantDeleted: true, wantRevoked: 2},
		{name: "local", o: LogoutOptions{Local: true}, entry: entry, provider: &fakeLogout{}, wantDeleted: true},
		{name: "not logged in", loadErr: session.ErrNotLoggedIn, provider: &fakeLogout{}, wantErrOut: []string{"nothing to do"}},
		{name: "dead session still logs out", entry: &tokencache.Entry{Dead: true, Token: token.Token{IDToken: "id"}}, provider: &fakeLogout{}, wantDeleted: true, wantErrOut: []string{"Removed the cached session"}},
		{name: "provider unreachable", entry: entry, providerErr: errors.New("dial"), wantDeleted: true, wantErrOut: []string{"could not be reached", "Removed the cached session"}},
		{name: "revocation fails", entry: entry, provider: &fakeLogout{revokeErr: &httperr.Error{What: httperr.Revocation, StatusCode: 503}}, wantDeleted: true, wantRevoked: 1, wantErrOut: []string{"stays valid"}},
		{name: "a hostile refusal is shown, not obeyed", entry: entry,
			provider:    &fakeLogout{revokeErr: &httperr.Error{What: httperr.Revocation, StatusCode: 400, Code: "invalid_request", Description: "no\x1b[2J\x07"}},
			wantDeleted: true, wantRevoked: 1, wantErrOut: []string{"no^[[2J^G"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, _, errOut := iostreams.Test()
			deleted := false
			o := tc.o
			o.Port = 0
			o.IO, o.Browser, o.CanOpenBrowser = io, &webbrowser.Recorder{}, func() bool { return false }
			o.Load = func() (*tokencache.Entry, error) { return tc.entry, tc.loadErr }
			o.Delete = func(context.Context) (*tokencache.Entry, error) {
				deleted = true
				if tc.gone != nil {
					return tc.gone, nil
				}
				return tc.entry, nil
			}
			o.Provider = func(context.Context) (LogoutProvider, error) {
				if tc.providerErr != nil {
					return nil, tc.providerErr
				}
				return tc.provider, nil
			}
			if err := logoutRun(t.Context(), &o); err != nil {
				t.Fatal(err)
			}
			revoked := 0
			if tc.provider != nil {
				revoked = len(tc.provider.revoked)
			}
			if deleted != tc.wantDeleted || revoked != tc.wantRevoked {
				t.Errorf("deleted %v, revoked %d; want %v, %d", deleted, revoked, tc.wantDeleted, tc.wantRevoked)
			}
			for _, w := range tc.wantErrOut {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tc.notErrOut {
				if strings.Contains(errOut.String(), w) {
					t.Errorf("stderr has %q:\n%s", w, errOut)
				}
			}
			if strings.ContainsAny(errOut.String(), "\x1b\x07") {
				t.Errorf("stderr holds a control character: %q", errOut)
			}
		})
	}
}

// TestLogoutBusyPortAsksForNoRedirect: when hello cannot answer the
// post-logout redirect (its port is taken), the browser is not sent back
// to that port, where another program would answer: the logout asks for no
// redirect and ends on the provider's own page.
func TestLogoutBusyPortAsksForNoRedirect(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	io, _, _, errOut := iostreams.Test()
	rec := &webbrowser.Recorder{}
	entry := &tokencache.Entry{Token: token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: "id", Grant: token.GrantAuthorizationCode}, User: "a@example.com"}
	o := LogoutOptions{
		Port: busy.Addr().(*net.TCPAddr).Port, Wait: time.Minute,
		IO: io, Browser: rec, CanOpenBrowser: func() bool { return true },
		Load:     func() (*tokencache.Entry, error) { return entry, nil },
		Delete:   func(context.Context) (*tokencache.Entry, error) { return entry, nil },
		Provider: func(context.Context) (LogoutProvider, error) { return &fakeLogout{}, nil },
	}
	if err := logoutRun(t.Context(), &o); err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://op/logout?returnTo="}; !slices.Equal(rec.URLs, want) {
		t.Errorf("opened %q, want %q\nstderr: %s", rec.URLs, want, errOut)
	}
	if !strings.Contains(errOut.String(), "is busy") {
		t.Errorf("stderr does not say the port is busy:\n%s", errOut)
	}
}

// TestLogoutWithoutEndSessionOpensNothing: with a browser at hand and a
// provider that cannot end its browser session, logout says so and neither
// opens a browser nor waits for one.
func TestLogoutWithoutEndSessionOpensNothing(t *testing.T) {
	t.Parallel()
	io, _, _, errOut := iostreams.Test()
	rec := &webbrowser.Recorder{}
	entry := &tokencache.Entry{Token: token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: "id", Grant: token.GrantAuthorizationCode}, User: "a@example.com"}
	o := LogoutOptions{
		// A wait far beyond the test's own timeout: a logout that waited
		// would fail the test instead of passing slowly.
		Port: 0, Wait: 24 * time.Hour,
		IO: io, Browser: rec, CanOpenBrowser: func() bool { return true },
		Load:     func() (*tokencache.Entry, error) { return entry, nil },
		Delete:   func(context.Context) (*tokencache.Entry, error) { return entry, nil },
		Provider: func(context.Context) (LogoutProvider, error) { return &fakeLogout{noEndSession: true}, nil },
	}
	if err := logoutRun(t.Context(), &o); err != nil {
		t.Fatal(err)
	}
	if len(rec.URLs) != 0 {
		t.Errorf("opened %q for a provider without end_session", rec.URLs)
	}
	if !strings.Contains(errOut.String(), "was not ended") {
		t.Errorf("stderr does not say the browser session stays:\n%s", errOut)
	}
}
