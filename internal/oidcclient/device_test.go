package oidcclient

import (
	"context"
	"errors"
	"github.com/hello-cli/hello/internal/token"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDeviceLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		script    []string
		interval  int
		expiresIn int
		wantErr   error
		wantPolls int
		// wantWaits are the pauses before each poll, on the test's clock;
		// nil checks them against the case below instead.
		wantWaits []time.Duration
	}{
		{name: "pending then approved", script: []string{"pending", "approve"}, interval: 1, expiresIn: 60, wantPolls: 2, wantWaits: []time.Duration{time.Second, time.Second}},
		{name: "pending answered with 200", script: []string{"pending with 200", "approve"}, interval: 1, expiresIn: 60, wantPolls: 2, wantWaits: []time.Duration{time.Second, time.Second}},
		{name: "denied", script: []string{"deny"}, interval: 1, expiresIn: 60, wantErr: ErrAccessDenied, wantPolls: 1, wantWaits: []time.Duration{time.Second}},
		{name: "expired_token", script: []string{"expire"}, interval: 1, expiresIn: 60, wantErr: ErrDeviceExpired, wantPolls: 1, wantWaits: []time.Duration{time.Second}},
		{name: "no interval means 5s", script: []string{"approve"}, interval: 0, expiresIn: 60, wantPolls: 1, wantWaits: []time.Duration{5 * time.Second}},
		// expires_in passes before the first poll is due: one wait, to
		// the expiry and not the whole interval, and no poll.
		{name: "expires_in elapses", interval: 5, expiresIn: 1, wantErr: ErrDeviceExpired, wantPolls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			op.deviceScript, op.deviceInterval, op.deviceExpiresIn = tt.script, tt.interval, tt.expiresIn
			clock := newStepClock()
			c := newClient(t, op, clock.install, func(cfg *Config) { cfg.Audience = testAudience })
			stderr := newSyncBuffer()
			var opened []string
			tok, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{
				Open:   func(u string) error { opened = append(opened, u); return nil },
				Stderr: stderr,
			})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || tok != nil {
					t.Fatalf("DeviceLogin() = %+v, %v; want %v", tok, err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("DeviceLogin: %v", err)
				}
				if tok.Grant != token.GrantDeviceCode || tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
					t.Errorf("tokens = %+v", tok)
				}
			}
			op.mu.Lock()
			polls, reqs := len(op.devicePolls), op.deviceReqs
			op.mu.Unlock()
			if polls != tt.wantPolls {
				t.Errorf("%d polls, want %d", polls, tt.wantPolls)
			}
			waits := clock.waited()
			if tt.wantWaits != nil {
				if !slices.Equal(waits, tt.wantWaits) {
					t.Errorf("waited %v before the polls, want %v", waits, tt.wantWaits)
				}
			} else if len(waits) != 1 || waits[0] <= 0 || waits[0] >= time.Duration(tt.interval)*time.Second {
				t.Errorf("waited %v, want one wait, to the code's expiry, shorter than the %ds interval", waits, tt.interval)
			}
			if len(reqs) != 1 || reqs[0].Get("audience") != testAudience || reqs[0].Get("scope") != "openid profile email offline_access" {
				t.Errorf("device authorization requests = %v", reqs)
			}
			out := stderr.String()
			for _, want := range []string{op.issuer + "/activate", testUserCode} {
				if !strings.Contains(out, want) {
					t.Errorf("stderr %q lacks %q", out, want)
				}
			}
			if want := op.issuer + "/activate?user_code=" + testUserCode; len(opened) != 1 || opened[0] != want {
				t.Errorf("opened %v, want [%s]", opened, want)
			}
		})
	}
}

func TestDeviceLoginSlowDown(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.deviceScript = []string{"slow_down", "approve"}
	clock := newStepClock()
	c := newClient(t, op, clock.install)
	if _, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{NoBrowser: true}); err != nil {
		t.Fatalf("DeviceLogin: %v", err)
	}
	op.mu.Lock()
	polls := op.devicePolls
	op.mu.Unlock()
	if len(polls) != 2 {
		t.Fatalf("%d polls, want 2", len(polls))
	}
	// RFC 8628 §3.5: slow_down adds 5 seconds to the 1-second interval.
	if waits, want := clock.waited(), []time.Duration{time.Second, 6 * time.Second}; !slices.Equal(waits, want) {
		t.Errorf("waited %v before the polls, want %v", waits, want)
	}
}

func TestDeviceLoginCancelled(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	c := newClient(t, op)
	ctx, cancel := context.WithCancel(t.Context())
	// The user gives up as the browser opens. Were the cancellation
	// ignored, polling would go on until the code expired and end in
	// ErrDeviceExpired, which the check below refuses.
	_, err := c.DeviceLogin(ctx, DeviceLoginOptions{Open: func(string) error { cancel(); return nil }})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrDeviceExpired) {
		t.Fatalf("DeviceLogin() error = %v, want context.Canceled", err)
	}
}

func TestDeviceLoginOpenFailureNotFatal(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.deviceScript = []string{"approve"}
	c := newClient(t, op)
	if _, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{Open: func(string) error { return errors.New("no display") }}); err != nil {
		t.Fatalf("DeviceLogin: %v", err)
	}
}

func TestDeviceLoginRejectsBadIDToken(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.deviceScript = []string{"approve"}
	op.signWith = otherKey()
	c := newClient(t, op)
	if tok, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{}); err == nil || tok != nil {
		t.Fatalf("DeviceLogin() = %+v, %v; want an error", tok, err)
	}
}

func TestSupportsDevice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		noDevice   bool
		grantTypes []string
		want       bool
	}{
		{name: "endpoint, no grant list", want: true},
		{name: "endpoint and grant listed", grantTypes: []string{"authorization_code", deviceGrantType}, want: true},
		{name: "endpoint but grant not listed", grantTypes: []string{"authorization_code"}},
		{name: "no endpoint", noDevice: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			op.noDevice, op.grantTypes = tt.noDevice, tt.grantTypes
			c := newClient(t, op)
			if got := c.SupportsDevice(); got != tt.want {
				t.Errorf("SupportsDevice() = %v, want %v", got, tt.want)
			}
			if !tt.want {
				if _, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{}); !errors.Is(err, ErrNoDeviceFlow) {
					t.Errorf("DeviceLogin() error = %v, want ErrNoDeviceFlow", err)
				}
			}
		})
	}
}

// TestDevicePollAuthenticatesAndNamesTheResource: every poll of a
// confidential client carries its secret the way the other token requests
// do (HTTP Basic unless only client_secret_post is offered), and a strict
// provider is told the resource again (RFC 8707 §2.2), as x/oauth2's
// DeviceAccessToken was given it.
func TestDevicePollAuthenticatesAndNamesTheResource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		methods []string
		basic   bool
	}{
		{name: "client_secret_basic", basic: true},
		{name: "client_secret_post only", methods: []string{"client_secret_post"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			op.deviceScript = []string{"pending", "approve"}
			op.deviceSecret = testSecret
			op.authMethods = tc.methods
			c := newClient(t, op, func(cfg *Config) {
				cfg.ClientSecret, cfg.Audience, cfg.Dialect = testSecret, "https://api.example.com", DialectStandard
			})
			if _, err := c.DeviceLogin(t.Context(), DeviceLoginOptions{NoBrowser: true}); err != nil {
				t.Fatalf("DeviceLogin: %v", err)
			}
			op.mu.Lock()
			polls := slices.Clone(op.devicePollReq)
			op.mu.Unlock()
			if len(polls) != 2 {
				t.Fatalf("%d polls, want 2", len(polls))
			}
			for i, p := range polls {
				if p.auth.ok != tc.basic || (tc.basic && p.auth.pass != testSecret) || (!tc.basic && p.form.Get("client_secret") != testSecret) {
					t.Errorf("poll %d: Basic %+v, form secret %q; want the secret %s", i, p.auth, p.form.Get("client_secret"), tc.name)
				}
				if tc.basic && p.form.Has("client_secret") {
					t.Errorf("poll %d sends the secret twice (RFC 6749 §2.3.1: one method per request)", i)
				}
				if got := p.form.Get("resource"); got != "https://api.example.com" {
					t.Errorf("poll %d: resource %q, want the API", i, got)
				}
			}
		})
	}
}
