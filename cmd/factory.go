package cmd

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/transport"
	"github.com/hello-cli/hello/internal/webbrowser"
)

// Factory hands commands their dependencies. Fields are filled by NewFactory
// for the real process and by tests with doubles; what depends on the parsed
// configuration is built lazily, once, after the root command loaded it.
type Factory struct {
	IO *iostreams.IOStreams
	// Config says where the environment and the config files are.
	Config   config.Loader
	Browser  webbrowser.Browser
	Now      func() time.Time
	CacheDir func() (string, error)
	// CanOpenBrowser reports whether this machine can show the user a browser.
	CanOpenBrowser func() bool

	// Settings is set by the root command once flags are parsed.
	Settings *config.Settings
	Verbose  bool

	// serverFailed records that a request of this run got a 5xx answer.
	serverFailed atomic.Bool

	httpOnce   sync.Once
	httpClient *http.Client
	httpErr    error
	authOnce   sync.Once
	authClient *oidcclient.Client
	authErr    error
}

// NewFactory returns the Factory of the real process.
func NewFactory() *Factory {
	io := iostreams.System()
	getenv := func(k string) string { return os.Getenv(k) }
	return &Factory{
		IO:       io,
		Config:   config.NewLoader(),
		Browser:  webbrowser.System{Stderr: io.ErrOut, Getenv: getenv},
		Now:      time.Now,
		CacheDir: tokencache.DefaultDir,
		CanOpenBrowser: func() bool {
			return !io.CI() && io.IsStderrTTY() && webbrowser.CanOpen(getenv, runtime.GOOS)
		},
	}
}

// HTTPClient is the one client every request goes through.
func (f *Factory) HTTPClient() (*http.Client, error) {
	f.httpOnce.Do(func() {
		opts := transport.Options{Verbose: f.Verbose, Log: f.IO.ErrOut,
			OnServerError: func() { f.serverFailed.Store(true) }}
		if f.Settings != nil {
			opts.CAFile = f.Settings.CAFile
		}
		f.httpClient, f.httpErr = transport.New(opts)
	})
	return f.httpClient, f.httpErr
}

// AuthClient discovers the provider. It is only called when the provider is
// really needed: a valid cached token must not cost a discovery request.
func (f *Factory) AuthClient(ctx context.Context) (*oidcclient.Client, error) {
	f.authOnce.Do(func() {
		hc, err := f.HTTPClient()
		if err != nil {
			f.authErr = err
			return
		}
		s := f.Settings
		f.authClient, f.authErr = oidcclient.New(ctx, oidcclient.Config{
			Issuer:       s.Issuer,
			ClientID:     s.ClientID,
			ClientSecret: s.ClientSecret,
			Audience:     s.Audience,
			HTTPClient:   hc,
			Now:          f.Now,
		})
		if f.authErr != nil && s.Sandbox {
			f.authErr = fmt.Errorf("%w\nhello talks to the local sandbox by default: start it with \"hello sandbox\", or configure your provider (see \"hello --help\")", f.authErr)
		}
	})
	return f.authClient, f.authErr
}

// Session returns the session manager for the configured issuer, client and audience.
func (f *Factory) Session() (*session.Manager, error) {
	dir, err := f.CacheDir()
	if err != nil {
		return nil, fmt.Errorf("find the cache directory: %w", err)
	}
	store := tokencache.New(dir)
	if v, ok := f.Config.Getenv("HELLO_LOCK_TIMEOUT"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, exitcode.Newf(exitcode.Usage, "bad HELLO_LOCK_TIMEOUT %q (from the environment): expected a positive duration such as 30s", v)
		}
		store.LockTimeout = d
	}
	s := f.Settings
	return &session.Manager{
		Store: store,
		Key:   tokencache.Key{Issuer: s.Issuer, ClientID: s.ClientID, Audience: s.Audience},
		Connect: func(ctx context.Context) (session.Renewer, error) {
			return f.AuthClient(ctx)
		},
		Now: f.Now,
	}, nil
}

// JSON reports whether -o json was asked for.
func (f *Factory) JSON() bool { return f.Settings != nil && f.Settings.Output == config.OutputJSON }
