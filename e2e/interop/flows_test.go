package interop

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
)

// shape is what a provider configuration offers, so each flow knows what
// to expect from hello there.
type shape struct {
	name        string
	auth0       bool // Auth0's "audience", no prompt=consent, /v2/logout
	parRequired bool
	par         bool // a pushed authorization request endpoint
	device      bool
	revocation  bool
	endSession  bool
	iss         bool // iss in the authorization response (RFC 9207)
}

var shapes = map[string]shape{
	"strict":     {name: "strict", par: true, device: true, revocation: true, endSession: true, iss: true},
	"strict-par": {name: "strict-par", par: true, parRequired: true, device: true, revocation: true, endSession: true, iss: true},
	"auth0like":  {name: "auth0like", auth0: true, par: true, device: true, revocation: true},
	"minimal":    {name: "minimal", iss: true},
}

func TestStrict(t *testing.T)    { t.Parallel(); runSuite(t, shapes["strict"]) }
func TestStrictPAR(t *testing.T) { t.Parallel(); runSuite(t, shapes["strict-par"]) }
func TestAuth0Like(t *testing.T) { t.Parallel(); runSuite(t, shapes["auth0like"]) }
func TestMinimal(t *testing.T)   { t.Parallel(); runSuite(t, shapes["minimal"]) }

// env is one provider with its API, shared by the flows of a suite.
type env struct {
	shape
	p   *provider
	api string
}

// summary collects one row per flow and prints them as a table when the
// provider's suite ends.
type summary struct {
	mu   sync.Mutex
	rows [][3]string
}

func (s *summary) add(flow, outcome, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, [3]string{flow, outcome, note})
}

func (s *summary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, r := range s.rows {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", r[0], r[1], r[2])
	}
	_ = w.Flush()
	return b.String()
}

// flow runs one flow as a subtest and records its row; f returns the note.
func (s *summary) flow(t *testing.T, name string, f func(t *testing.T) string) {
	t.Helper()
	var note string
	ok := t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) { note = f(t) })
	outcome := "ok"
	switch {
	case !ok:
		outcome, note = "FAIL", "see the subtest's log"
	case note == "":
		note = "-"
	case strings.HasPrefix(note, "n/a: "):
		outcome, note = "n/a", strings.TrimPrefix(note, "n/a: ")
	}
	s.add(name, outcome, note)
}

func runSuite(t *testing.T, sh shape) {
	requireSuite(t)
	p := startProvider(t, sh.name)
	e := &env{shape: sh, p: p, api: startAPI(t, p.Issuer)}
	s := &summary{}
	t.Cleanup(func() { t.Logf("interop summary, provider %s (%s):\n%s", sh.name, p.Issuer, s) })

	// One person's session goes through login, refresh, API calls,
	// profile, status and logout, in that order.
	u := newUser(t, p, e.api)
	b := newBrowser(t, p.Issuer)
	var loggedIn bool
	s.flow(t, "browser login", func(t *testing.T) string {
		note := e.browserLogin(t, u, b, "alice")
		loggedIn = true
		return note
	})
	if !loggedIn {
		t.Fatalf("login failed; the other flows need it")
	}
	s.flow(t, "RFC 9207 iss (right)", func(t *testing.T) string { return e.rightIss(t, u, b) })
	s.flow(t, "refresh", func(t *testing.T) string { return e.refresh(t, u) })
	s.flow(t, "messages admin", func(t *testing.T) string {
		r := u.in(t).mustRun("messages", "admin")
		want(t, r.Stdout, "This is an admin message.")
		return "permissions claim accepted by the API"
	})
	s.flow(t, "profile", func(t *testing.T) string { return e.profile(t, u) })
	s.flow(t, "status", func(t *testing.T) string { return e.status(t, u) })
	s.flow(t, "logout + revocation + end_session", func(t *testing.T) string { return e.logout(t, u, b) })

	s.flow(t, "device", func(t *testing.T) string { return e.deviceLogin(t) })
	s.flow(t, "client credentials", func(t *testing.T) string { return e.clientCredentials(t) })
	s.flow(t, "RFC 9207 iss (wrong)", func(t *testing.T) string { return e.wrongIss(t) })
	s.flow(t, "PAR", func(t *testing.T) string { return e.parLogin(t) })
	s.flow(t, "pasted redirect (--manual)", func(t *testing.T) string { return e.manualLogin(t) })
	s.flow(t, "pasted redirect, wrong iss", func(t *testing.T) string { return e.manualWrongIss(t) })
	s.flow(t, "signup", func(t *testing.T) string { return e.signup(t) })
	s.flow(t, "device --timeout", func(t *testing.T) string { return e.deviceTimeout(t) })
}

var (
	loginURLRe   = regexp.MustCompile(`log in: (\S+)`)
	deviceURLRe  = regexp.MustCompile(`(?m)^or open (\S+)`)
	logoutURLRe  = regexp.MustCompile(`browser session too, open:\s+(\S+)`)
	protectedMsg = "This is a protected message."
)

func want(t *testing.T, got, sub string) {
	t.Helper()
	if !strings.Contains(got, sub) {
		t.Fatalf("want %q in:\n%s", sub, got)
	}
}

func wantNot(t *testing.T, got, sub string) {
	t.Helper()
	if strings.Contains(got, sub) {
		t.Fatalf("want no %q in:\n%s", sub, got)
	}
}

// startLogin starts `hello login` with the given flags and returns it
// with the authorize URL it printed.
func (e *env) startLogin(t *testing.T, u *user, args ...string) (*background, *url.URL) {
	t.Helper()
	u = u.in(t)
	bg := u.start(append([]string{"login", "--no-browser", "--port", "0"}, args...)...)
	raw := bg.WaitStderr(t, loginURLRe)
	au, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return bg, au
}

// checkAuthorize checks what the authorize URL asks for: the audience the
// way this provider understands it, and consent only where OIDC Core §11
// needs it for offline_access.
func (e *env) checkAuthorize(t *testing.T, au *url.URL) string {
	t.Helper()
	q := au.Query()
	if q.Get("request_uri") != "" {
		// Pushed: the parameters went to the PAR endpoint, and only the
		// client ID and the reference travel through the browser.
		if q.Get("code_challenge") != "" || q.Get("state") != "" {
			t.Fatalf("PAR authorize URL still carries the request's parameters: %s", au)
		}
		return "pushed (PAR): request_uri only"
	}
	if e.auth0 {
		if q.Get("audience") != audience {
			t.Fatalf("no audience=%s in %s", audience, au)
		}
		if strings.Contains(q.Get("prompt"), "consent") {
			t.Fatalf("prompt=consent sent to an Auth0-shaped provider: %s", au)
		}
		return "audience, no prompt=consent"
	}
	if q.Get("resource") != audience {
		t.Fatalf("no resource=%s in %s", audience, au)
	}
	if !strings.Contains(q.Get("prompt"), "consent") {
		t.Fatalf("offline_access without prompt=consent (OIDC Core §11): %s", au)
	}
	return "resource + prompt=consent"
}

// browserLogin logs u in as login through the browser b.
func (e *env) browserLogin(t *testing.T, u *user, b *browser, login string) string {
	t.Helper()
	u = u.in(t)
	bg, au := e.startLogin(t, u)
	note := e.checkAuthorize(t, au)
	cb := b.signIn(au.String(), login)
	if cb.Left == "" {
		t.Fatalf("the provider did not redirect to hello; last page %s:\n%s", cb.URL, cb.Body)
	}
	done := b.get(cb.Left)
	r := bg.Wait(t)
	if r.Code != 0 {
		t.Fatalf("login: %s\npage: %s", r, done.Body)
	}
	want(t, done.Body, "Logged in")
	*u.lastCallback = cb.Left
	if e.auth0 {
		// Auth0 keeps offline_access without a consent prompt.
		if u.cacheEntry()["refresh_token"] == nil {
			t.Fatalf("no refresh token from the Auth0-shaped provider")
		}
	}
	if u.cacheEntry()["refresh_token"] == nil {
		t.Fatalf("no refresh token: offline_access was dropped")
	}
	r = u.mustRun("messages", "protected")
	want(t, r.Stdout, protectedMsg)
	return note + "; refresh token issued; API accepted the access token"
}

// rightIss checks that the login's callback carried the provider's iss when
// the provider sends one, and that hello accepted it.
func (e *env) rightIss(t *testing.T, u *user, b *browser) string {
	t.Helper()
	u = u.in(t)
	cb, err := url.Parse(*u.lastCallback)
	if err != nil {
		t.Fatal(err)
	}
	got := cb.Query().Get("iss")
	switch {
	case e.iss && got != e.p.Issuer:
		t.Fatalf("callback iss = %q, want %q", got, e.p.Issuer)
	case e.iss:
		return "iss=" + got + " accepted"
	case got != "":
		t.Fatalf("this provider sends no iss, yet the callback had %q", got)
	}
	return "no iss sent (not advertised): accepted"
}

func (e *env) refresh(t *testing.T, u *user) string {
	t.Helper()
	u = u.in(t)
	before := u.cacheEntry()
	u.expireToken()
	grants := e.p.grants(t, "refresh_token")
	r := u.mustRun("messages", "protected")
	want(t, r.Stdout, protectedMsg)
	after := u.cacheEntry()
	if after["access_token"] == before["access_token"] {
		t.Fatalf("the expired access token was not renewed")
	}
	if n := e.p.grants(t, "refresh_token") - grants; n != 1 {
		t.Fatalf("renewing the expired token made %d refresh grants at the provider, want 1", n)
	}
	note := "renewed access token accepted by the API"
	if after["refresh_token"] != before["refresh_token"] {
		note += "; refresh token rotated"
	}
	return note
}

func (e *env) profile(t *testing.T, u *user) string {
	t.Helper()
	u = u.in(t)
	grants := e.p.grants(t, "refresh_token")
	r := u.mustRun("profile")
	// The token is valid: a userinfo that refuses it (RFC 8707) must not
	// cost a refresh, which would rotate the refresh token for nothing.
	if n := e.p.grants(t, "refresh_token") - grants; n != 0 {
		t.Fatalf("hello profile made %d refresh grants at the provider, want 0; stderr:\n%s", n, r.Stderr)
	}
	want(t, r.Stdout, "alice@example.com")
	want(t, r.Stdout, "Alice Example")
	for _, protocol := range []string{"at_hash", "nonce", "auth_time", "azp", "sid"} {
		if regexp.MustCompile(`(?m)^\s*` + protocol + `\b`).MatchString(r.Stdout) {
			t.Fatalf("profile lists the protocol claim %s:\n%s", protocol, r.Stdout)
		}
	}
	if strings.Contains(r.Stderr, "ID token") {
		return "userinfo refused the API token: verified ID token's claims shown; no refresh spent"
	}
	return "userinfo; no refresh spent"
}

func (e *env) status(t *testing.T, u *user) string {
	t.Helper()
	u = u.in(t)
	r := u.mustRun("status")
	out := r.Stdout + r.Stderr
	// The e-mail, not the subject ("alice"), names the person.
	want(t, out, "alice@example.com")
	if regexp.MustCompile(`(?m)^\s*Permissions:\s*$`).MatchString(out) {
		t.Fatalf("empty Permissions line:\n%s", out)
	}
	return "names alice@example.com"
}

// logout logs u out and checks each part: who, revocation, and the
// provider's browser session.
func (e *env) logout(t *testing.T, u *user, b *browser) string {
	t.Helper()
	u = u.in(t)
	refreshToken, _ := u.cacheEntry()["refresh_token"].(string)
	r := u.mustRun("logout")
	want(t, r.Stderr, "Logged out alice@example.com")
	var notes []string

	// Revocation: the refresh token must be dead, or hello must say it
	// is not, and then it must really still work.
	alive := e.refreshTokenWorks(t, refreshToken)
	if e.revocation {
		want(t, r.Stderr, "Revoked the refresh token")
		if alive {
			t.Fatalf("the provider still honours the refresh token hello says it revoked")
		}
		notes = append(notes, "refresh token revoked")
	} else {
		want(t, r.Stderr, "stays valid at the provider until it expires")
		if !alive {
			t.Fatalf("hello says the refresh token stays valid, but the provider refuses it")
		}
		notes = append(notes, "no revocation endpoint: said so")
	}

	m := logoutURLRe.FindStringSubmatch(r.Stderr)
	switch {
	case e.endSession || e.auth0:
		if m == nil {
			t.Fatalf("no logout URL printed:\n%s", r.Stderr)
		}
		lu := m[1]
		if e.auth0 {
			want(t, lu, "/v2/logout")
		} else {
			wantNot(t, lu, "/v2/logout")
		}
		// The URL must work exactly as printed: no redirect to a port
		// nobody listens on.
		end := b.signIn(lu, "")
		if end.Left != "" {
			t.Fatalf("the printed logout URL sends the browser on to %s", end.Left)
		}
		// The provider's session is over: the next login asks again.
		u2 := newUser(t, e.p, e.api)
		bg, au := e.startLogin(t, u2)
		first := b.get(au.String())
		if first.Left != "" {
			t.Fatalf("after logout, the provider signed the browser in without asking")
		}
		_ = bg.Cmd.Process.Kill()
		notes = append(notes, "printed logout URL works as printed, provider session ended")
	default:
		if m != nil {
			t.Fatalf("a logout URL printed for a provider without end_session: %s", m[1])
		}
		want(t, r.Stderr, "browser session")
		notes = append(notes, "no end_session: said so, no browser, no wait")
	}
	return strings.Join(notes, "; ")
}

// refreshTokenWorks redeems refreshToken at the provider directly.
func (e *env) refreshTokenWorks(t *testing.T, refreshToken string) bool {
	t.Helper()
	if refreshToken == "" {
		t.Fatal("no refresh token to try")
	}
	var meta struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	getJSON(t, discoveryURL(e.p.Issuer), &meta)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {"hello-cli"}}
	if !e.auth0 {
		form.Set("resource", audience)
	}
	resp, err := http.PostForm(meta.TokenEndpoint, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case body.Error == "invalid_grant":
		return false
	}
	t.Fatalf("refresh at %s: %d %s", meta.TokenEndpoint, resp.StatusCode, body.Error)
	return false
}

func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func (e *env) deviceLogin(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	if !e.device {
		r := u.run("login", "--device")
		if r.Code != 2 {
			t.Fatalf("login --device without a device endpoint: %s", r)
		}
		want(t, r.Stderr, "device flow")
		return "no device endpoint: said so (exit 2)"
	}
	bg := u.start("login", "--device")
	complete := bg.WaitStderr(t, deviceURLRe)
	end := newBrowser(t, e.p.Issuer).signIn(complete, "bob")
	if end.Left != "" {
		t.Fatalf("device approval left the provider for %s", end.Left)
	}
	r := bg.Wait(t)
	if r.Code != 0 {
		t.Fatalf("device login: %s", r)
	}
	r = u.mustRun("messages", "protected")
	want(t, r.Stdout, protectedMsg)
	return "approved in the browser; API accepted the access token"
}

func (e *env) clientCredentials(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	u.setenv("HELLO_CLIENT_ID", "hello-ci")
	u.setenv("HELLO_CLIENT_SECRET", "hello-ci-secret")
	r := u.mustRun("--verbose", "login", "--client-credentials")
	// --verbose names the dialect detection chose.
	dialect := "* provider " + e.p.Issuer + ": standard: RFC 8707 resource"
	if e.auth0 {
		dialect = "* provider " + e.p.Issuer + ": Auth0: audience parameter"
	}
	want(t, r.Stderr, dialect)
	wantNot(t, r.Stderr, "hello-ci-secret")
	r = u.mustRun("messages", "admin")
	want(t, r.Stdout, "This is an admin message.")
	return "API accepted the machine token; --verbose names the dialect"
}

// wrongIss relays the provider's answer to hello with another iss, as a
// mix-up attacker would, and checks that hello refuses it before redeeming.
func (e *env) wrongIss(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	b := newBrowser(t, e.p.Issuer)
	bg, au := e.startLogin(t, u)
	cb := b.signIn(au.String(), "alice")
	if cb.Left == "" {
		t.Fatalf("the provider did not redirect to hello; last page %s:\n%s", cb.URL, cb.Body)
	}
	forged, err := url.Parse(cb.Left)
	if err != nil {
		t.Fatal(err)
	}
	q := forged.Query()
	q.Set("iss", "https://attacker.example/")
	forged.RawQuery = q.Encode()
	page := b.get(forged.String())
	r := bg.Wait(t)
	if r.Code != 4 {
		t.Fatalf("callback with a wrong iss: want exit 4, got %s", r)
	}
	want(t, r.Stderr, "iss")
	want(t, page.Body, "attacker.example")
	if st := u.run("status"); st.Code != 4 {
		t.Fatalf("a session was saved from a refused callback: %s", st)
	}
	return "refused before redeeming (exit 4)"
}

func (e *env) parLogin(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	var args []string
	if !e.parRequired {
		args = []string{"--par"}
	}
	if !e.par {
		r := u.run("login", "--no-browser", "--port", "0", "--par")
		if r.Code != 2 {
			t.Fatalf("--par without a PAR endpoint: %s", r)
		}
		want(t, r.Stderr, "pushed authorization")
		return "no PAR endpoint: --par refused (exit 2)"
	}
	b := newBrowser(t, e.p.Issuer)
	bg, au := e.startLogin(t, u, args...)
	if au.Query().Get("request_uri") == "" {
		t.Fatalf("no request_uri in the authorize URL: %s", au)
	}
	note := e.checkAuthorize(t, au)
	cb := b.signIn(au.String(), "alice")
	if cb.Left == "" {
		t.Fatalf("the provider did not redirect to hello; last page %s:\n%s", cb.URL, cb.Body)
	}
	b.get(cb.Left)
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("PAR login: %s", r)
	}
	r := u.mustRun("messages", "protected")
	want(t, r.Stdout, protectedMsg)
	if e.parRequired {
		return "required by discovery: " + note
	}
	return "--par: " + note
}

// manualLogin signs in "on another machine" and pastes the redirect the
// browser there could not load into hello's stdin.
func (e *env) manualLogin(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	// Nothing listens on the port: the browser's redirect "fails", and the
	// address is what gets pasted.
	bg := u.start("login", "--manual", "--port", "4040", "--timeout", "1m")
	raw := bg.WaitStderr(t, loginURLRe)
	bg.WaitStderr(t, regexp.MustCompile(`(Address: )`))
	cb := newBrowser(t, e.p.Issuer).signIn(raw, "alice")
	if !strings.HasPrefix(cb.Left, "http://localhost:4040/callback?") {
		t.Fatalf("the provider did not redirect to the registered callback; got %q", cb.Left)
	}
	if _, err := bg.Stdin.Write([]byte("  '" + cb.Left + "'\n")); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	if r.Code != 0 {
		t.Fatalf("manual login: %s", r)
	}
	want(t, r.Stderr, "Logged in as alice@example.com")
	r2 := u.mustRun("messages", "protected")
	want(t, r2.Stdout, protectedMsg)
	if e.parRequired {
		// The pushed request lives 60 seconds at oidc-provider: a person
		// carrying the URL to another machine must know.
		want(t, r.Stderr, "works for 1m0s")
		return "pushed (PAR), its 60s lifetime said; state and iss checked, code redeemed; API accepted the token"
	}
	return "state and iss checked, code redeemed; API accepted the token"
}

// manualWrongIss pastes this login's own redirect (right state) with
// another iss: hello must refuse it (that the code stays unspent is
// counted against the sandbox, in e2e).
func (e *env) manualWrongIss(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	bg := u.start("login", "--manual", "--port", "4040", "--timeout", "1m")
	raw := bg.WaitStderr(t, loginURLRe)
	bg.WaitStderr(t, regexp.MustCompile(`(Address: )`))
	cb := newBrowser(t, e.p.Issuer).signIn(raw, "alice")
	forged, err := url.Parse(cb.Left)
	if err != nil || forged.Query().Get("code") == "" {
		t.Fatalf("no code in the provider's redirect %q (%v)", cb.Left, err)
	}
	q := forged.Query()
	q.Set("iss", "https://attacker.example/")
	forged.RawQuery = q.Encode()
	if _, err := bg.Stdin.Write([]byte(forged.String() + "\n")); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	if r.Code != 4 {
		t.Fatalf("pasted redirect with a wrong iss: want exit 4, got %s", r)
	}
	want(t, r.Stderr, "attacker.example")
	wantNot(t, r.Stderr, q.Get("code"))
	if st := u.run("status"); st.Code != 4 {
		t.Fatalf("a session was saved from a refused paste: %s", st)
	}
	return "refused (exit 4), no session saved"
}

// signup starts on the sign-up screen, or says the provider has none.
func (e *env) signup(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	bg := u.start("signup", "--no-browser", "--port", "0")
	au, err := url.Parse(bg.WaitStderr(t, loginURLRe))
	if err != nil {
		t.Fatal(err)
	}
	_ = bg.Cmd.Process.Kill()
	<-bg.Done
	if e.auth0 {
		if au.Query().Get("screen_hint") != "signup" {
			t.Fatalf("no screen_hint=signup for Auth0: %s", au)
		}
		wantNot(t, bg.Stderr.String(), "no sign-up screen")
		return "screen_hint=signup"
	}
	want(t, bg.Stderr.String(), "advertises no sign-up screen")
	return "no prompt=create advertised: said so"
}

// deviceTimeout leaves a device login unapproved: --timeout must end it.
func (e *env) deviceTimeout(t *testing.T) string {
	t.Helper()
	u := newUser(t, e.p, e.api)
	if !e.device {
		return "n/a: no device flow"
	}
	r := u.run("login", "--device", "--timeout", "2s")
	if r.Code != 4 {
		t.Fatalf("unapproved device login with --timeout 2s: %s", r)
	}
	want(t, r.Stderr, "Waiting for approval… (code expires in")
	want(t, r.Stderr, "not finished in time")
	return "progress line shown; ended after --timeout (exit 4)"
}

// TestEmailOnlyInUserinfo: a provider that keeps the e-mail out of the ID
// token (userinfo only, OIDC Core §5.4) still gets the person named by
// e-mail in login, status and profile.
func TestEmailOnlyInUserinfo(t *testing.T) {
	t.Parallel()
	requireSuite(t)
	p := startProvider(t, "strict", "HELLO_INTEROP_CONFORM=1")
	u := newUser(t, p, "http://127.0.0.1:1")
	b := newBrowser(t, p.Issuer)
	// No API: the access token is the provider's own, good at userinfo.
	bg := u.start("login", "--no-browser", "--port", "0", "--audience", "")
	raw := bg.WaitStderr(t, loginURLRe)
	cb := b.signIn(raw, "alice")
	if cb.Left == "" {
		t.Fatalf("the provider did not redirect to hello; last page %s:\n%s", cb.URL, cb.Body)
	}
	b.get(cb.Left)
	r := bg.Wait(t)
	if r.Code != 0 {
		t.Fatalf("login: %s", r)
	}
	want(t, r.Stderr, "Logged in as alice@example.com (Alice Example).")
	st := u.mustRun("status", "--audience", "")
	want(t, st.Stdout, "alice@example.com")
	prof := u.mustRun("profile", "--audience", "")
	want(t, prof.Stdout, "alice@example.com")
	t.Logf("interop summary, provider strict with claims in userinfo only (%s):\n  email only in userinfo  ok  login, status and profile name alice@example.com", p.Issuer)
}

// TestConfidentialClientLogout: a browser login with a client secret (the
// seed's .config has one) pushes its request, redeems, renews and revokes
// with the client authenticated. (oidc-provider takes the secret in the
// body or as Basic alike, so this does not tell the two apart.)
func TestConfidentialClientLogout(t *testing.T) {
	t.Parallel()
	requireSuite(t)
	p := startProvider(t, "strict")
	e := &env{shape: shapes["strict"], p: p, api: startAPI(t, p.Issuer)}
	u := newUser(t, p, e.api)
	u.setenv("HELLO_CLIENT_ID", "hello-web")
	u.setenv("HELLO_CLIENT_SECRET", "hello-web-secret")
	b := newBrowser(t, p.Issuer)
	bg, au := e.startLogin(t, u, "--par")
	cb := b.signIn(au.String(), "alice")
	if cb.Left == "" {
		t.Fatalf("the provider did not redirect to hello; last page %s:\n%s", cb.URL, cb.Body)
	}
	b.get(cb.Left)
	if r := bg.Wait(t); r.Code != 0 {
		t.Fatalf("login: %s", r)
	}
	u.expireToken()
	want(t, u.mustRun("messages", "protected").Stdout, protectedMsg)
	r := u.mustRun("logout")
	wantNot(t, r.Stderr, "warning")
	want(t, r.Stderr, "Revoked the refresh token")
	wantNot(t, r.Stderr, "hello-web-secret")
	t.Logf("interop summary, provider strict with a confidential client (%s):\n  client secret  ok  PAR, code exchange, refresh and revocation with the client authenticated", p.Issuer)
}
