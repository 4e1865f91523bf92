// Package loopback runs the short-lived HTTP server that receives the
// authorization code on http://localhost:<port>/callback during a browser
// login (RFC 8252 §7.3), and the "logged out" page after a browser logout.
//
// The server listens on the loopback interfaces only — 127.0.0.1 and, when the
// machine has IPv6, [::1] on the same port — because browsers differ in how
// they resolve "localhost" and a server on 127.0.0.1 alone is unreachable from
// a browser that picks ::1 first.
package callback

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shutdownGrace bounds how long a graceful shutdown waits for the browser to
// finish reading the result page before connections are closed.
const shutdownGrace = 2 * time.Second

// Options configures a callback server.
type Options struct {
	// Port to listen on; 0 picks a free port. Callers default it to 4040,
	// the port registered as the client's redirect URI.
	Port int
	// Path of the callback; "/callback" when empty.
	Path string
	// Timeout bounds Wait; zero means no bound other than the context.
	Timeout time.Duration
	// State is the value the callback must carry; requests without it are refused.
	State string
	// Check, when set, vets a callback with the right state before its
	// code is handed over (RFC 9207's iss, say): an error ends the login
	// with that error, and the browser tab shows it.
	Check func(url.Values) error
	// SuccessPage and FailurePage render the page the browser tab shows.
	// Security headers are set before they are called. Nil uses the defaults.
	SuccessPage, FailurePage func(w http.ResponseWriter, detail string)
}

// Server is a running callback server. It accepts exactly one callback.
type Server struct {
	opts      Options
	port      int
	srv       *http.Server
	listeners []net.Listener

	once    sync.Once   // delivers the single result
	result  chan result // capacity 1
	outcome chan error  // capacity 1, see Finish

	closeOnce sync.Once
	closeErr  error

	formMu sync.Mutex
	form   *logoutForm // the pending provider logout, see LogoutStart
}

type result struct {
	code string
	err  error
}

// Listen binds the loopback addresses and starts serving. A busy port is
// reported as *PortInUseError before anything else happens, so a login never
// opens a browser it cannot receive the answer from.
func Listen(ctx context.Context, opts Options) (*Server, error) {
	if opts.Path == "" {
		opts.Path = "/callback"
	}
	if opts.SuccessPage == nil {
		opts.SuccessPage = defaultSuccessPage
	}
	if opts.FailurePage == nil {
		opts.FailurePage = defaultFailurePage
	}
	s := &Server{opts: opts, result: make(chan result, 1), outcome: make(chan error, 1)}
	if err := s.start(ctx, opts.Port, http.HandlerFunc(s.serveCallback)); err != nil {
		return nil, err
	}
	return s, nil
}

// start binds the listeners and serves handler on them.
func (s *Server) start(ctx context.Context, port int, handler http.Handler) error {
	lns, err := listenLoopback(ctx, port)
	if err != nil {
		return err
	}
	s.listeners = lns
	s.port = lns[0].Addr().(*net.TCPAddr).Port
	s.srv = &http.Server{
		Handler:           hostCheck(s.port, handler),
		ReadHeaderTimeout: 10 * time.Second,
	}
	for _, ln := range lns {
		go func() {
			// Serve returns http.ErrServerClosed after Shutdown; any other
			// error means the listener broke, which ends the login.
			if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.deliver(result{err: fmt.Errorf("callback server: %w", err)})
			}
		}()
	}
	return nil
}

// RedirectURL is the redirect_uri to send to the provider. It names
// "localhost" because that is what providers (Auth0 included) let native
// apps register; the server answers on both loopback families.
func (s *Server) RedirectURL() string {
	return "http://localhost:" + strconv.Itoa(s.port) + s.opts.Path
}

// Wait blocks until the callback arrives, the timeout elapses or ctx ends,
// then shuts the server down. It returns the authorization code, a
// *CallbackError when the provider answered with an error, ErrTimeout, or the
// context's error.
//
// When a code arrives the server stays up, its browser tab waiting: the
// caller exchanges the code, verifies the tokens, and reports the outcome
// with Finish, so that the tab never says "Logged in" for a login that then
// failed. Close the server afterwards.
func (s *Server) Wait(ctx context.Context) (string, error) {
	var timeout <-chan time.Time
	if s.opts.Timeout > 0 {
		t := time.NewTimer(s.opts.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-s.result:
		if r.err != nil || r.code == "" {
			_ = s.Close()
		}
		return r.code, r.err
	case <-timeout:
		_ = s.Close()
		return "", ErrTimeout
	case <-ctx.Done():
		_ = s.Close()
		return "", fmt.Errorf("waiting for the login callback: %w", ctx.Err())
	}
}

// outcomeWait bounds how long the browser tab waits for Finish.
const outcomeWait = 30 * time.Second

// Finish reports how the login ended, for the browser tab to show: nil for
// success, else the error. Only the first call counts.
func (s *Server) Finish(err error) {
	select {
	case s.outcome <- err:
	default:
	}
}

// Close shuts the server down, giving the browser a moment to finish reading
// the page it was sent. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeErr = errors.Join(err, s.srv.Close())
		}
	})
	return s.closeErr
}

// deliver records the first result; later ones are dropped.
func (s *Server) deliver(r result) bool {
	delivered := false
	s.once.Do(func() {
		s.result <- r
		delivered = true
	})
	return delivered
}

func (s *Server) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.opts.Path {
		notFound(w)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	// A request without our state did not come from the provider for this
	// login (a stray tab, a reload, another site poking localhost): refuse it
	// and keep waiting for the real callback.
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(s.opts.State)) != 1 || s.opts.State == "" {
		pageHeaders(w)
		w.WriteHeader(http.StatusBadRequest)
		s.opts.FailurePage(w, `This page does not belong to the login hello is waiting for, so hello ignored it. If the login in the terminal does not finish, run "hello login" again. (state mismatch)`)
		return
	}

	var res result
	var checkErr error
	if s.opts.Check != nil {
		checkErr = s.opts.Check(q)
	}
	switch {
	case checkErr != nil:
		res.err = checkErr
	case q.Get("error") != "":
		res.err = &CallbackError{Code: q.Get("error"), Description: q.Get("error_description")}
	case q.Get("code") == "":
		res.err = &CallbackError{Code: "invalid_request", Description: "the callback carried neither a code nor an error"}
	default:
		res.code = q.Get("code")
	}
	if !s.deliver(res) {
		pageHeaders(w)
		w.WriteHeader(http.StatusBadRequest)
		s.opts.FailurePage(w, "This login has already finished. You can close this tab.")
		return
	}
	pageHeaders(w)
	if res.err != nil {
		w.WriteHeader(http.StatusBadRequest)
		detail := res.err.Error()
		var cbErr *CallbackError
		if errors.As(res.err, &cbErr) {
			// What happened and what to do first; the provider's words last.
			detail = capitalize(cbErr.Summary()) + ". " + cbErr.NextStep() + " (The provider said " + cbErr.protocol() + ".)"
		}
		s.opts.FailurePage(w, detail)
		return
	}
	select {
	case err := <-s.outcome:
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			s.opts.FailurePage(w, `hello could not finish the login: the terminal says why and what to do, then run "hello login" again. (`+err.Error()+")")
			return
		}
		s.opts.SuccessPage(w, "")
	case <-time.After(outcomeWait):
		s.opts.FailurePage(w, `hello did not say in time whether the login worked: look in the terminal, or run "hello status".`)
	case <-r.Context().Done():
	}
}

// ListenLoggedOut starts the server that answers the provider's
// post-logout redirect at http://localhost:<port>/ with a "logged out" page.
// Its RedirectURL is the post_logout_redirect_uri/returnTo to send; Wait
// returns once the page was served (code ""), with ErrTimeout after wait, or
// when ctx ends. A busy port is a *PortInUseError.
func ListenLoggedOut(ctx context.Context, port int, wait time.Duration) (*Server, error) {
	s := &Server{opts: Options{Path: "/", Timeout: wait}, result: make(chan result, 1)}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path != "/" {
			s.serveLogoutForm(w, r)
			return
		}
		pageHeaders(w)
		loggedOutPage(w)
		s.deliver(result{})
	})
	if err := s.start(ctx, port, handler); err != nil {
		return nil, err
	}
	return s, nil
}

// logoutForm is a provider logout to start with a form post.
type logoutForm struct {
	path   string
	action string
	fields url.Values
}

// LogoutStart returns a one-time local URL whose page posts fields to the
// provider's end_session endpoint (action). RP-Initiated Logout allows POST,
// and a post keeps the ID token hint out of the URL, so it is never in a
// browser launcher's argv, the terminal, or the browser history. The path is
// random and answered once, so no other local program can read the hint.
func (s *Server) LogoutStart(action string, fields url.Values) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("logout page: %w", err)
	}
	f := &logoutForm{path: "/logout/" + base64.RawURLEncoding.EncodeToString(b), action: action, fields: fields}
	s.formMu.Lock()
	s.form = f
	s.formMu.Unlock()
	return "http://localhost:" + strconv.Itoa(s.port) + f.path, nil
}

func (s *Server) serveLogoutForm(w http.ResponseWriter, r *http.Request) {
	s.formMu.Lock()
	f := s.form
	if f != nil && subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(f.path)) == 1 {
		s.form = nil // one view only
	} else {
		f = nil
	}
	s.formMu.Unlock()
	if f == nil {
		notFound(w)
		return
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	n := base64.RawURLEncoding.EncodeToString(nonce)
	pageHeaders(w)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+n+"'")
	renderLogoutForm(w, f, n)
}

// hostCheck refuses requests whose Host is not a loopback name for our port,
// which defeats DNS-rebinding pages that try to reach the server.
func hostCheck(port int, next http.Handler) http.Handler {
	p := strconv.Itoa(port)
	allowed := map[string]bool{
		"localhost:" + p: true,
		"127.0.0.1:" + p: true,
		"[::1]:" + p:     true,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[r.Host] {
			http.Error(w, "misdirected request", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func notFound(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// capitalize starts a sentence made of a lower-case message.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
