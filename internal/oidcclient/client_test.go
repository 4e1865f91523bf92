package oidcclient

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

func TestNewUnreachableProvider(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	_, err = New(t.Context(), Config{Issuer: "http://" + addr, ClientID: testClientID})
	var uerr *url.Error
	var nerr net.Error
	if !errors.As(err, &uerr) || !errors.As(err, &nerr) {
		t.Fatalf("New() error = %v (%T), want a wrapped *url.Error", err, err)
	}
}

func TestNewIssuerMismatch(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	_, err := New(t.Context(), Config{Issuer: op.issuer + "/", ClientID: testClientID})
	var mismatch *IssuerMismatchError
	if !errors.As(err, &mismatch) || mismatch.Advertised != op.issuer {
		t.Fatalf("New() error = %v, want *IssuerMismatchError naming %s", err, op.issuer)
	}
}

func TestNewNeedsIssuerAndClient(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{ClientID: testClientID}, {Issuer: "https://op.example"}} {
		if _, err := New(t.Context(), cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// countingTransport counts requests that go through the configured client.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

type countingBearer struct {
	next *countingTransport
	tok  string
}

func (c *countingBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+c.tok)
	return c.next.RoundTrip(r)
}

func TestEveryRequestUsesHTTPClient(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.deviceScript = []string{"approve"}
	rt := &countingTransport{}
	c := newClient(t, op, func(cfg *Config) { cfg.HTTPClient = &http.Client{Transport: rt} })
	tok, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// userinfo goes through the client it is given (the session's, which
	// adds the token); here one that counts too.
	if _, err := c.UserInfo(t.Context(), &http.Client{Transport: &countingBearer{rt, tok.AccessToken}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(t.Context(), tok.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	op.mu.Lock()
	served := op.requests
	op.mu.Unlock()
	// discovery, device code, poll, JWKS, userinfo, revoke
	if got := int(rt.n.Load()); got != served || got != 6 {
		t.Errorf("%d requests through the client, provider served %d, want 6", got, served)
	}
}

func TestVerifyIDToken(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	now := time.Now()
	raw := signJWT(t, testKey(), map[string]any{
		"iss": op.issuer, "sub": "user-1", "aud": testClientID,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": "alice@example.com",
	})
	tok, err := c.verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if tok.Subject != "user-1" {
		t.Errorf("subject = %q", tok.Subject)
	}

	expired := signJWT(t, testKey(), map[string]any{
		"iss": op.issuer, "sub": "user-1", "aud": testClientID,
		"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
	})
	var expErr *oidc.TokenExpiredError
	if _, err := c.verify(t.Context(), expired); !errors.As(err, &expErr) {
		t.Errorf("expired token: %v, want *oidc.TokenExpiredError", err)
	}

	// The configured clock decides expiry.
	late := newClient(t, op, func(cfg *Config) { cfg.Now = func() time.Time { return now.Add(2 * time.Hour) } })
	if _, err := late.verify(t.Context(), raw); !errors.As(err, &expErr) {
		t.Errorf("token checked with a clock 2h ahead: %v, want expired", err)
	}
}

func TestNewRefusesPlainHTTPEndpoints(t *testing.T) {
	t.Parallel()
	for _, endSession := range []string{"http://op.example.com/logout", "ftp://op.example.com/logout"} {
		op := newFakeOP(t)
		op.endSession = endSession
		_, err := New(t.Context(), Config{Issuer: op.issuer, ClientID: testClientID})
		if err == nil || !strings.Contains(err.Error(), "end_session_endpoint") {
			t.Errorf("end_session_endpoint %s: err = %v, want a refusal naming it", endSession, err)
		}
	}
	op := newFakeOP(t)
	op.endSession = "https://op.example.com/logout"
	if _, err := New(t.Context(), Config{Issuer: op.issuer, ClientID: testClientID}); err != nil {
		t.Errorf("https end_session_endpoint refused: %v", err)
	}
}
