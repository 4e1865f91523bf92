package callback

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testState = "expected-state"

func listen(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.State == "" {
		opts.State = testState
	}
	s, err := Listen(t.Context(), opts)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// get fetches u and returns the status, headers and body.
func get(t *testing.T, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// page is a browser tab's view of one request.
type tabView struct {
	status int
	header http.Header
	body   string
}

// getAsync GETs u in the background: a valid callback's page waits for
// Finish, as a browser tab waits while hello redeems the code.
func getAsync(t *testing.T, u string) <-chan tabView {
	t.Helper()
	ch := make(chan tabView, 1)
	go func() {
		resp, err := http.Get(u)
		if err != nil {
			ch <- tabView{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ch <- tabView{resp.StatusCode, resp.Header, string(b)}
	}()
	return ch
}

func callbackURL(s *Server, q url.Values) string {
	return s.RedirectURL() + "?" + q.Encode()
}

func TestRedirectURL(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{})
	want := "http://localhost:" + strconv.Itoa(s.port) + "/callback"
	if got := s.RedirectURL(); got != want {
		t.Errorf("RedirectURL() = %q, want %q", got, want)
	}
}

func TestWaitReturnsCode(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})

	tab := getAsync(t, callbackURL(s, url.Values{"code": {"the-code"}, "state": {testState}}))
	code, err := s.Wait(t.Context())
	if err != nil || code != "the-code" {
		t.Fatalf("Wait() = %q, %v; want the-code, nil", code, err)
	}
	s.Finish(nil)
	p := <-tab
	status, h, body := p.status, p.header, p.body
	if status != http.StatusOK {
		t.Errorf("status = %d, want 200", status)
	}
	if !strings.Contains(body, "Logged in") {
		t.Errorf("success page missing %q:\n%s", "Logged in", body)
	}
	if strings.Contains(body, "the-code") {
		t.Error("success page shows the authorization code")
	}
	for k, want := range map[string]string{
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}

	// Close shuts the server down.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))); err == nil {
		c.Close()
		t.Error("server still accepts connections after Wait returned")
	}
}

func TestWrongStateRefusedThenRealCallbackAccepted(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})

	for _, q := range []url.Values{
		{"code": {"forged"}, "state": {"wrong"}},
		{"code": {"forged"}},
		{"error": {"access_denied"}, "state": {"wrong"}},
	} {
		status, _, body := get(t, callbackURL(s, q))
		if status != http.StatusBadRequest {
			t.Errorf("%v: status = %d, want 400", q, status)
		}
		if !strings.Contains(body, "state mismatch") {
			t.Errorf("%v: failure page does not explain the refusal:\n%s", q, body)
		}
	}
	getAsync(t, callbackURL(s, url.Values{"code": {"real"}, "state": {testState}}))
	code, err := s.Wait(t.Context())
	if err != nil || code != "real" {
		t.Fatalf("Wait() = %q, %v; want real, nil", code, err)
	}
}

func TestFailedRedeemShowsFailure(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	tab := getAsync(t, callbackURL(s, url.Values{"code": {"c"}, "state": {testState}}))
	if _, err := s.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Finish(errors.New("verify ID token: nonce does not match this login"))
	p := <-tab
	if p.status != http.StatusBadRequest || strings.Contains(p.body, "Logged in") || !strings.Contains(p.body, "nonce does not match") {
		t.Fatalf("tab after a failed redeem: %d\n%s", p.status, p.body)
	}
}

func TestOnlyOneCallbackAccepted(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	getAsync(t, callbackURL(s, url.Values{"code": {"first"}, "state": {testState}}))
	code, err := s.Wait(t.Context())
	if err != nil || code != "first" {
		t.Fatalf("Wait() = %q, %v; want first, nil", code, err)
	}
	status, _, _ := get(t, callbackURL(s, url.Values{"code": {"second"}, "state": {testState}}))
	if status != http.StatusBadRequest {
		t.Errorf("second callback status = %d, want 400", status)
	}
}

func TestProviderError(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	status, _, body := get(t, callbackURL(s, url.Values{
		"error":             {"access_denied"},
		"error_description": {"User <b>cancelled</b>"},
		"state":             {testState},
	}))
	if status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", status)
	}
	if strings.Contains(body, "<b>") {
		t.Error("failure page does not escape the provider's description")
	}
	// Plain words first, what to do next, the provider's answer last.
	text := html.UnescapeString(body)
	for _, want := range []string{"Login failed", "You are not logged in", "The login was declined at the provider.",
		`To try again, run "hello login" and approve the request.`, "(The provider said access_denied: User <b>cancelled</b>.)"} {
		if !strings.Contains(text, want) {
			t.Errorf("failure page lacks %q:\n%s", want, text)
		}
	}
	_, err := s.Wait(t.Context())
	var cbErr *CallbackError
	if !errors.As(err, &cbErr) {
		t.Fatalf("Wait() error = %v, want *CallbackError", err)
	}
	if cbErr.Code != "access_denied" || cbErr.Description != "User <b>cancelled</b>" {
		t.Errorf("CallbackError = %+v", cbErr)
	}
}

func TestCallbackWithoutCode(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	get(t, callbackURL(s, url.Values{"state": {testState}}))
	_, err := s.Wait(t.Context())
	var cbErr *CallbackError
	if !errors.As(err, &cbErr) || cbErr.Code != "invalid_request" {
		t.Fatalf("Wait() error = %v, want CallbackError invalid_request", err)
	}
}

func TestCustomPages(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{
		Timeout:     time.Minute,
		SuccessPage: func(w http.ResponseWriter, _ string) { io.WriteString(w, "custom ok") },
		FailurePage: func(w http.ResponseWriter, _ string) { io.WriteString(w, "custom fail") },
	})
	if _, h, body := get(t, callbackURL(s, url.Values{"state": {"x"}})); body != "custom fail" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("failure page = %q (X-Frame-Options %q)", body, h.Get("X-Frame-Options"))
	}
	tab := getAsync(t, callbackURL(s, url.Values{"code": {"c"}, "state": {testState}}))
	if _, err := s.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.Finish(nil)
	if p := <-tab; p.body != "custom ok" {
		t.Errorf("success page = %q", p.body)
	}
}

func TestOtherPathsAndMethods(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	base := "http://127.0.0.1:" + strconv.Itoa(s.port)
	for _, p := range []string{"/", "/favicon.ico", "/callback/extra"} {
		if status, _, _ := get(t, base+p+"?state="+testState+"&code=x"); status != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", p, status)
		}
	}
	resp, err := http.Post(base+"/callback?state="+testState+"&code=x", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status = %d, want 405", resp.StatusCode)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/callback?state="+testState+"&code=x", nil)
	req.Host = "evil.example:" + strconv.Itoa(s.port)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: status = %d, want 421", resp.StatusCode)
	}

	// None of these ended the login.
	getAsync(t, callbackURL(s, url.Values{"code": {"real"}, "state": {testState}}))
	if code, err := s.Wait(t.Context()); err != nil || code != "real" {
		t.Fatalf("Wait() = %q, %v", code, err)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: 20 * time.Millisecond})
	if _, err := s.Wait(t.Context()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait() error = %v, want ErrTimeout", err)
	}
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait() error = %v, want context.Canceled", err)
	}
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	_, err = Listen(t.Context(), Options{Port: port, State: testState})
	var pErr *PortInUseError
	if !errors.As(err, &pErr) {
		t.Fatalf("Listen() error = %v, want *PortInUseError", err)
	}
	if pErr.Port != port {
		t.Errorf("Port = %d, want %d", pErr.Port, port)
	}
	want := "port " + strconv.Itoa(port) + " is busy (another hello login?): choose another with --port"
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}

func TestPortInUseOnIPv6Only(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	// Another program on [::1]:port would receive the browsers that resolve
	// localhost to ::1, so this port is as unusable as a busy 127.0.0.1.
	_, err = Listen(t.Context(), Options{Port: port, State: testState})
	var pErr *PortInUseError
	if !errors.As(err, &pErr) {
		t.Fatalf("Listen() error = %v, want *PortInUseError", err)
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	s := listen(t, Options{Timeout: time.Minute})
	port := strconv.Itoa(s.port)

	dial := func(host string) error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial("127.0.0.1"); err != nil {
		t.Errorf("127.0.0.1: %v", err)
	}
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Logf("no IPv6 loopback here, ::1 not checked: %v", err)
	} else {
		ln.Close()
		if err := dial("::1"); err != nil {
			t.Errorf("::1: %v", err)
		}
	}
	for _, ln := range s.listeners {
		if a := ln.Addr(); !a.(*net.TCPAddr).IP.IsLoopback() {
			t.Errorf("listening on non-loopback address %v", a)
		}
	}

	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		checked++
		if err := dial(ipn.IP.String()); err == nil {
			t.Errorf("reachable on %v", ipn.IP)
		}
	}
	if checked == 0 {
		t.Log("no non-loopback interface to check")
	}
}

func TestListenLoggedOut(t *testing.T) {
	t.Parallel()
	s, err := ListenLoggedOut(t.Context(), 0, time.Minute)
	if err != nil {
		t.Fatalf("ListenLoggedOut: %v", err)
	}
	defer s.Close()
	returnTo := s.RedirectURL()
	if want := "http://localhost:" + strconv.Itoa(s.port) + "/"; returnTo != want {
		t.Errorf("RedirectURL() = %q, want %q", returnTo, want)
	}
	if status, _, _ := get(t, returnTo+"other"); status != http.StatusNotFound {
		t.Errorf("GET /other: status %d, want 404", status)
	}
	status, h, body := get(t, returnTo)
	if status != http.StatusOK || !strings.Contains(body, "You are logged out") || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET /: %d %q", status, body)
	}
	if _, err := s.Wait(t.Context()); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

func TestLoggedOutWaitElapses(t *testing.T) {
	t.Parallel()
	s, err := ListenLoggedOut(t.Context(), 0, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Wait(t.Context()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait() = %v, want ErrTimeout", err)
	}
}

func TestLogoutStart(t *testing.T) {
	t.Parallel()
	s, err := ListenLoggedOut(t.Context(), 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fields := url.Values{"id_token_hint": {"eyJ.hint.sig"}, "post_logout_redirect_uri": {s.RedirectURL()}, "client_id": {"hello-cli"}}
	start, err := s.LogoutStart("https://op.example.com/end_session?x=1", fields)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(start, "eyJ") || !strings.HasPrefix(start, "http://localhost:"+strconv.Itoa(s.port)+"/logout/") {
		t.Fatalf("start URL %q", start)
	}
	if status, _, _ := get(t, "http://localhost:"+strconv.Itoa(s.port)+"/logout/guess"); status != http.StatusNotFound {
		t.Errorf("a guessed path: %d, want 404", status)
	}
	status, h, body := get(t, start)
	csp := h.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
	if status != http.StatusOK || nonce == nil || !strings.Contains(body, `nonce="`+nonce[1]+`"`) {
		t.Fatalf("form page: %d, CSP %q\n%s", status, csp, body)
	}
	for _, want := range []string{`method="post"`, `action="https://op.example.com/end_session?x=1"`, `name="id_token_hint" value="eyJ.hint.sig"`, `name="client_id" value="hello-cli"`} {
		if !strings.Contains(body, want) {
			t.Errorf("form page lacks %s:\n%s", want, body)
		}
	}
	if status, _, _ := get(t, start); status != http.StatusNotFound {
		t.Errorf("second view of the form page: %d, want 404", status)
	}
}

func TestLoggedOutPortBusy(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = ListenLoggedOut(t.Context(), busy.Addr().(*net.TCPAddr).Port, time.Minute)
	var pErr *PortInUseError
	if !errors.As(err, &pErr) {
		t.Fatalf("ListenLoggedOut() = %v, want *PortInUseError", err)
	}
}

func TestCheckRefusesBeforeTheCodeIsHandedOver(t *testing.T) {
	t.Parallel()
	refused := errors.New("names the issuer <i>evil</i>")
	var seen url.Values
	s := listen(t, Options{Timeout: time.Minute, Check: func(q url.Values) error {
		seen = q
		if q.Get("iss") != "https://op.example" {
			return refused
		}
		return nil
	}})
	status, _, body := get(t, callbackURL(s, url.Values{"code": {"c"}, "state": {testState}, "iss": {"https://evil.example"}}))
	if status != http.StatusBadRequest || !strings.Contains(body, "names the issuer") || strings.Contains(body, "<i>") {
		t.Errorf("refused callback: status %d, page:\n%s", status, body)
	}
	code, err := s.Wait(t.Context())
	if code != "" || !errors.Is(err, refused) {
		t.Fatalf("Wait() = %q, %v; want no code and the Check's error", code, err)
	}
	if seen.Get("code") != "c" {
		t.Errorf("Check saw %v", seen)
	}
}
