package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Options{})
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, DefaultTimeout)
	}
	rt, ok := c.Transport.(*retryTransport)
	if !ok || rt.max != DefaultMaxRetries {
		t.Errorf("outer layer %T, want retries (max %d)", c.Transport, DefaultMaxRetries)
	}
	if _, ok := rt.next.(*http.Transport); !ok {
		t.Errorf("without Verbose there should be no log layer, got %T", rt.next)
	}
	base := baseTransport(t, c)
	if base.TLSClientConfig == nil || base.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLS config %+v, want MinVersion TLS 1.2", base.TLSClientConfig)
	}
	if base.TLSHandshakeTimeout != DefaultDialTimeout {
		t.Errorf("TLSHandshakeTimeout = %v, want %v", base.TLSHandshakeTimeout, DefaultDialTimeout)
	}
	// Functions cannot be compared; their code pointers can.
	if reflect.ValueOf(base.Proxy).Pointer() != reflect.ValueOf(http.ProxyFromEnvironment).Pointer() {
		t.Error("Proxy is not http.ProxyFromEnvironment")
	}
	if base == http.DefaultTransport {
		t.Error("http.DefaultTransport must be cloned, not modified")
	}

	c = mustNew(t, Options{Timeout: -1, MaxRetries: -1, Verbose: true, Log: io.Discard})
	if c.Timeout != 0 {
		t.Errorf("Timeout = %v, want none", c.Timeout)
	}
	if _, ok := c.Transport.(*logTransport); !ok {
		t.Errorf("with retries off and Verbose, outer layer %T, want the log", c.Transport)
	}
}

// writeCert writes the server's certificate as PEM.
func writeCert(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCAFile(t *testing.T) {
	t.Parallel()
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	defer ts.Close()

	c := mustNew(t, Options{CAFile: writeCert(t, ts)})
	resp, err := get(t, c, context.Background(), ts.URL)
	if err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "secure" {
		t.Errorf("body %q", body)
	}

	c = mustNew(t, Options{})
	_, err = get(t, c, context.Background(), ts.URL)
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("without the CA file: err = %v, want a certificate verification error", err)
	}
}

func TestBadCAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		file   string
		wantIs error
	}{
		{missing, fs.ErrNotExist},
		{garbage, nil},
	} {
		_, err := New(Options{CAFile: tc.file})
		if err == nil {
			t.Errorf("New(CAFile: %s) succeeded, want an error", tc.file)
			continue
		}
		if !strings.Contains(err.Error(), tc.file) {
			t.Errorf("error %q does not name %s", err, tc.file)
		}
		if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
			t.Errorf("error %q does not wrap %v", err, tc.wantIs)
		}
	}
}

// proxyServer answers every request itself, like a forward proxy that
// resolved the host, and records the absolute URLs it was asked for.
type proxyServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newProxy(t *testing.T) *proxyServer {
	t.Helper()
	p := &proxyServer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.URL.String())
		p.mu.Unlock()
		io.WriteString(w, "via proxy")
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *proxyServer) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// A non-loopback name: Go never proxies loopback hosts, and .test never
// resolves, so only the proxy can answer.
const proxiedURL = "http://api.example.test/api/messages/public"

func TestProxyHook(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	pu, _ := url.Parse(p.URL)
	c := mustNew(t, Options{proxy: http.ProxyURL(pu)})
	resp, err := get(t, c, context.Background(), proxiedURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "via proxy" {
		t.Errorf("body %q, want the proxy's answer", body)
	}
	if got := p.requests(); len(got) != 1 || got[0] != proxiedURL {
		t.Errorf("proxy saw %q, want [%s]", got, proxiedURL)
	}
}

// Environment of the helper process started by TestProxyFromEnvironment.
const proxyHelperEnv = "HELLO_TRANSPORT_PROXY_HELPER"

// TestProxyHelperProcess is not a real test. http.ProxyFromEnvironment reads
// the environment once per process, so TestProxyFromEnvironment runs the
// test binary again, with the proxy variables set, to make one request.
func TestProxyHelperProcess(t *testing.T) {
	if os.Getenv(proxyHelperEnv) != "1" {
		t.Skip("helper process only")
	}
	c, err := New(Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := get(t, c, context.Background(), proxiedURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("status %d, body %q", resp.StatusCode, body)
}

func TestProxyFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		noProxy   string
		wantProxy bool
	}{
		{"HTTP_PROXY", "", true},
		{"NO_PROXY", "example.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newProxy(t)
			cmd := exec.Command(os.Args[0], "-test.run=^TestProxyHelperProcess$", "-test.count=1", "-test.v")
			cmd.Env = append(withoutProxyEnv(os.Environ()), proxyHelperEnv+"=1",
				"HTTP_PROXY="+p.URL, "NO_PROXY="+tc.noProxy)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if tc.wantProxy {
				if err != nil {
					t.Fatalf("helper failed: %v\n%s", err, out.String())
				}
				if got := p.requests(); len(got) != 1 || got[0] != proxiedURL {
					t.Errorf("proxy saw %q, want [%s]", got, proxiedURL)
				}
				if !strings.Contains(out.String(), `status 200, body "via proxy"`) {
					t.Errorf("helper output lacks the proxy's answer:\n%s", out.String())
				}
				return
			}
			if err == nil {
				t.Errorf("helper reached %s directly; .test should not resolve:\n%s", proxiedURL, out.String())
			}
			if got := p.requests(); len(got) != 0 {
				t.Errorf("proxy saw %q despite NO_PROXY", got)
			}
		})
	}
}

// withoutProxyEnv drops the proxy variables of the developer's own
// environment, whatever their case, so that they cannot skew the test.
func withoutProxyEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "REQUEST_METHOD":
			continue
		}
		out = append(out, kv)
	}
	return out
}
