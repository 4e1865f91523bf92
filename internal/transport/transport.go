// Package transport builds the one *http.Client that every network call of
// hello goes through: proxies from the environment, extra CA roots, sane
// timeouts, bounded retries of idempotent requests on overload answers, and
// an optional, redacted request log for --verbose.
package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultDialTimeout = 10 * time.Second
	DefaultMaxRetries  = 3
)

// Options configures New. The zero value is usable.
type Options struct {
	Verbose bool
	// Log receives the --verbose lines; nil means os.Stderr. Never stdout:
	// stdout carries data (`hello token` output is piped into curl).
	Log io.Writer
	// CAFile holds extra PEM roots added to the system pool, for providers
	// behind a corporate TLS proxy or a private CA. SSL_CERT_FILE and
	// SSL_CERT_DIR already work through Go's system pool on Unix.
	CAFile string
	// Timeout bounds one call of Client.Do, retries and waits included, so
	// hello never hangs; zero means DefaultTimeout, negative means none.
	Timeout time.Duration
	// DialTimeout bounds the TCP connect and the TLS handshake, so an
	// unreachable provider fails fast; zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// MaxRetries is how many times a GET or HEAD is retried after 429, 502,
	// 503 or 504; zero means DefaultMaxRetries, negative disables retries.
	MaxRetries int
	// Sleep waits between retries; nil means a real timer that stops when
	// ctx is done. Tests inject a fake that records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns numbers in [0, 1) for the backoff jitter; nil means
	// math/rand/v2.
	Rand func() float64

	// proxy replaces http.ProxyFromEnvironment; for tests only.
	proxy func(*http.Request) (*url.URL, error)
}

// New returns a client configured by opts. It fails only when CAFile cannot
// be read or holds no PEM certificate.
func New(opts Options) (*http.Client, error) {
	opts = opts.withDefaults()

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pool, err := loadRoots(opts.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConfig.RootCAs = pool
	}

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = opts.proxy
	base.DialContext = (&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = opts.DialTimeout
	base.TLSClientConfig = tlsConfig

	// The log sits below the retries so that each attempt gets its own line.
	var rt http.RoundTripper = base
	if opts.Verbose {
		rt = &logTransport{next: rt, w: opts.Log, now: time.Now}
	}
	if opts.MaxRetries > 0 {
		rt = &retryTransport{next: rt, max: opts.MaxRetries, sleep: opts.Sleep, rand: opts.Rand, now: time.Now}
	}

	c := &http.Client{Transport: rt, CheckRedirect: checkRedirect}
	if opts.Timeout > 0 {
		c.Timeout = opts.Timeout
	}
	return c, nil
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.proxy == nil {
		o.proxy = http.ProxyFromEnvironment
	}
	return o
}

// loadRoots returns the system pool with the certificates of file added.
func loadRoots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		// No system roots (some minimal containers): the file alone then.
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate found", file)
	}
	return pool, nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
