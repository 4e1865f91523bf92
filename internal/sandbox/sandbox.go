// Package sandbox runs the embedded identity provider and the Hello World
// API side by side on loopback, so hello works with no account and no network.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/hello-cli/hello/internal/sandbox/eventlog"
	"github.com/hello-cli/hello/internal/sandbox/helloapi"
	"github.com/hello-cli/hello/internal/sandbox/provider"
	"github.com/hello-cli/hello/internal/urlpolicy"
)

// DefaultAudience is the identifier of the Hello World API.
const DefaultAudience = provider.DefaultAudience

// prefetchTimeout bounds the API-only start-up check of the provider.
const prefetchTimeout = 15 * time.Second

// Options configure a sandbox.
type Options struct {
	Addr    string // provider, e.g. 127.0.0.1:5055; port 0 picks a free one
	APIAddr string // API, e.g. 127.0.0.1:6060

	StateDir       string
	Ephemeral      bool
	TokenTTL       time.Duration
	DeviceInterval time.Duration
	Audience       string
	// RefreshReuseInterval is the provider's refresh-token rotation
	// overlap (provider.Config.RefreshReuseInterval).
	RefreshReuseInterval time.Duration

	// Issuer, when set, runs the API alone, validating that provider's
	// tokens instead of the embedded provider's.
	Issuer string

	HTTPClient *http.Client // the API's client for discovery and JWKS
	Log        io.Writer    // the event log: one line per login, grant, refusal...
	// LogFormat is eventlog.FormatText (the default) or eventlog.FormatJSON.
	LogFormat string
}

// Sandbox is a running sandbox.
type Sandbox struct {
	IssuerURL string
	APIURL    string
	Provider  *provider.Provider // nil in API-only mode

	servers []*http.Server
	done    chan error
}

// Start listens on both addresses and serves until Shutdown.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	if o.Audience == "" {
		o.Audience = DefaultAudience
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	logger, err := eventlog.New(o.Log, o.LogFormat)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{done: make(chan error, 2)}
	var handlers []http.Handler
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}

	if o.Issuer == "" {
		ln, err := listen(o.Addr, "--addr", o.Log)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, ln)
		s.IssuerURL = baseURL(ln)
		p, err := provider.New(ctx, provider.Config{
			Issuer:               s.IssuerURL,
			StateDir:             o.StateDir,
			Ephemeral:            o.Ephemeral,
			TokenTTL:             o.TokenTTL,
			Audience:             o.Audience,
			DeviceInterval:       o.DeviceInterval,
			RefreshReuseInterval: o.RefreshReuseInterval,
			Logger:               logger,
		})
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("start the sandbox provider: %w", err)
		}
		s.Provider = p
		handlers = append(handlers, p.Handler())
	} else {
		s.IssuerURL = o.Issuer
	}

	apiLn, err := listen(o.APIAddr, "--api-addr", o.Log)
	if err != nil {
		closeAll()
		return nil, err
	}
	listeners = append(listeners, apiLn)
	s.APIURL = baseURL(apiLn)
	api, err := helloapi.New(helloapi.Config{Issuer: s.IssuerURL, Audience: o.Audience, HTTPClient: o.HTTPClient, Logger: logger})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("start the API: %w", err)
	}
	if s.Provider == nil {
		// Alone, the API depends on another provider: a wrong --issuer is
		// better reported now than as a 500 on the first protected call.
		pctx, cancel := context.WithTimeout(ctx, prefetchTimeout)
		err := api.Prefetch(pctx)
		cancel()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("the API cannot load the signing keys of %s: %w", s.IssuerURL, err)
		}
	}
	handlers = append(handlers, api)

	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	for i, ln := range listeners {
		srv := &http.Server{
			Handler:           handlers[i],
			ReadHeaderTimeout: 10 * time.Second,
			// A client stalling mid-body must not hold a clean stop hostage.
			ReadTimeout:    30 * time.Second,
			MaxHeaderBytes: 64 << 10,
			IdleTimeout:    2 * time.Minute,
			ErrorLog:       errLog,
		}
		s.servers = append(s.servers, srv)
		go func() {
			err := srv.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			s.done <- err
		}()
	}
	return s, nil
}

// Shutdown stops both servers, letting requests in flight finish until ctx ends.
func (s *Sandbox) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			// Requests still running after the grace period are cut off:
			// stopping is what was asked for.
			_ = srv.Close()
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	for range s.servers {
		if err := <-s.done; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// baseURL is the http URL of a listener. A wildcard address (0.0.0.0, ::)
// is named by the loopback address, which is where it is surely reachable.
func baseURL(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// listen binds addr, refusing nothing but warning when it is not loopback:
// the sandbox's users and passwords are public knowledge.
func listen(addr, flag string, log io.Writer) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bad %s %q: expected host:port, such as 127.0.0.1:0", flag, addr)
	}
	if !urlpolicy.IsLoopbackHost(host) {
		fmt.Fprintf(log, "warning: %s %s is not a loopback address: anyone who can reach it can log in with the sandbox's public test users\n", flag, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("address %s is already in use (another hello sandbox?): choose another with %s, e.g. %s 127.0.0.1:0 for any free port", addr, flag, flag)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, flag, err)
	}
	return ln, nil
}

// DefaultStateDir is where the signing key and signed-up users persist:
// $XDG_STATE_HOME/hello/sandbox, else the platform's equivalent.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "hello", "sandbox"), nil
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the state directory: %w", err)
		}
		return filepath.Join(home, ".local", "state", "hello", "sandbox"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the state directory: %w", err)
	}
	return filepath.Join(d, "hello", "sandbox"), nil
}
