// Package loopback runs the short-lived HTTP server that receives the
// authorization code on http://localhost:<port>/callback during a browser
// login (RFC 8252 §7.3), and the "logged out" page after a browser logout.
//
// The server listens on the loopback interfaces only — 127.0.0.1 and, when the
// machine has IPv6, [::1] on the same port — because browsers differ in how
// they resolve "localhost" and a server on 127.0.0.1 alone is unreachable from
// a browser that picks ::1 first.
package loopback

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
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

	once   sync.Once   // delivers the single result
	result chan result // capacity 1

	closeOnce sync.Once
	closeErr  error
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
	s := &Server{opts: opts, result: make(chan result, 1)}
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

// Port is the port the server listens on (useful when Options.Port was 0).
func (s *Server) Port() int { return s.port }

// Addrs lists the addresses the server listens on.
func (s *Server) Addrs() []net.Addr {
	addrs := make([]net.Addr, len(s.listeners))
	for i, ln := range s.listeners {
		addrs[i] = ln.Addr()
	}
	return addrs
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
func (s *Server) Wait(ctx context.Context) (string, error) {
	defer s.Close()
	var timeout <-chan time.Time
	if s.opts.Timeout > 0 {
		t := time.NewTimer(s.opts.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-s.result:
		return r.code, r.err
	case <-timeout:
		return "", ErrTimeout
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for the login callback: %w", ctx.Err())
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
		s.opts.FailurePage(w, "This sign-in response does not belong to the login in progress (state mismatch). Return to the terminal and try again if the login does not finish.")
		return
	}

	var res result
	switch {
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
		s.opts.FailurePage(w, "This sign-in has already finished. You can close this tab.")
		return
	}
	pageHeaders(w)
	if res.err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.opts.FailurePage(w, res.err.Error())
		return
	}
	s.opts.SuccessPage(w, "")
}

// ServeLoggedOut answers the post-logout redirect at http://localhost:<port>/
// with a "logged out" page: it listens like Listen, answers the first GET /
// and returns nil, or ErrTimeout when nothing arrived within wait, or
// *PortInUseError when the port is busy. Callers treat all of these as
// harmless, since the logout itself already happened. Callers that open the
// browser after the server is ready use ListenLoggedOut instead.
func ServeLoggedOut(ctx context.Context, port int, wait time.Duration) error {
	s, err := ListenLoggedOut(ctx, port, wait)
	if err != nil {
		return err
	}
	_, err = s.Wait(ctx)
	return err
}

// ListenLoggedOut starts the server ServeLoggedOut runs. Its RedirectURL is
// the post_logout_redirect_uri/returnTo to send; Wait returns once the page
// was served (code ""), with ErrTimeout after wait, or when ctx ends.
func ListenLoggedOut(ctx context.Context, port int, wait time.Duration) (*Server, error) {
	s := &Server{opts: Options{Path: "/", Timeout: wait}, result: make(chan result, 1)}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			notFound(w)
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
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
