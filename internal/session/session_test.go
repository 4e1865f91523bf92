package session

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/tokencache"
)

// fakeProvider counts renewals and rotates refresh tokens like Auth0.
type fakeProvider struct {
	refreshes atomic.Int32
	mints     atomic.Int32
	err       error
	now       time.Time
}

func (p *fakeProvider) Refresh(_ context.Context, rt string) (*oidcclient.Tokens, error) {
	p.refreshes.Add(1)
	if p.err != nil {
		return nil, p.err
	}
	return &oidcclient.Tokens{AccessToken: "at-refreshed", RefreshToken: rt + "-rotated", Expiry: p.now.Add(time.Hour), Scopes: []string{"openid"}}, nil
}

func (p *fakeProvider) ClientCredentials(context.Context) (*oidcclient.Tokens, error) {
	p.mints.Add(1)
	if p.err != nil {
		return nil, p.err
	}
	return &oidcclient.Tokens{AccessToken: "at-minted", Expiry: p.now.Add(time.Hour)}, nil
}

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func newManager(t *testing.T, p *fakeProvider) (*Manager, *atomic.Int32) {
	t.Helper()
	p.now = now
	var connects atomic.Int32
	return &Manager{
		Store: tokencache.New(t.TempDir()),
		Key:   tokencache.Key{Issuer: "http://127.0.0.1:1", ClientID: "hello-cli", Audience: "aud"},
		Connect: func(context.Context) (Renewer, error) {
			connects.Add(1)
			return p, nil
		},
		Now: func() time.Time { return now },
	}, &connects
}

func save(t *testing.T, m *Manager, e *tokencache.Entry) {
	t.Helper()
	if err := m.Store.Save(m.Key, e); err != nil {
		t.Fatal(err)
	}
}

func TestValidTokenNeedsNoProvider(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	m, connects := newManager(t, p)
	save(t, m, &tokencache.Entry{AccessToken: "at", RefreshToken: "rt", Expiry: now.Add(time.Hour), Grant: oidcclient.GrantAuthorizationCode})
	e, err := m.Token(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if e.AccessToken != "at" || connects.Load() != 0 {
		t.Fatalf("got %q after %d provider connections; want the cached token and none", e.AccessToken, connects.Load())
	}
}

func TestExpiredTokenIsRefreshedAndRotated(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	m, _ := newManager(t, p)
	save(t, m, &tokencache.Entry{AccessToken: "old", RefreshToken: "rt", IDToken: "idt", Expiry: now.Add(10 * time.Second), Grant: oidcclient.GrantAuthorizationCode})
	e, err := m.Token(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := m.Store.Load(m.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*tokencache.Entry{e, stored} {
		if got.AccessToken != "at-refreshed" || got.RefreshToken != "rt-rotated" || got.IDToken != "idt" || got.Grant != oidcclient.GrantAuthorizationCode {
			t.Errorf("entry after refresh = %+v", got)
		}
	}
	if p.refreshes.Load() != 1 {
		t.Errorf("refreshes = %d, want 1", p.refreshes.Load())
	}
}

func TestFailedRefreshKeepsTheSession(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{err: &oidcclient.OAuthError{Code: "invalid_grant", StatusCode: 400}}
	m, _ := newManager(t, p)
	before := &tokencache.Entry{AccessToken: "old", RefreshToken: "rt", IDToken: "idt", Expiry: now.Add(-time.Minute), Grant: oidcclient.GrantAuthorizationCode}
	save(t, m, before)
	_, err := m.Token(context.Background(), "")
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
	after, err := m.Store.Load(m.Key)
	if err != nil || after.RefreshToken != "rt" || after.IDToken != "idt" {
		t.Fatalf("cache after a failed refresh = %+v, %v; want it untouched", after, err)
	}
}

func TestNetworkFailureIsNotExpiry(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{err: &os.SyscallError{Syscall: "connect", Err: errors.New("connection refused")}}
	m, _ := newManager(t, p)
	save(t, m, &tokencache.Entry{AccessToken: "old", RefreshToken: "rt", Expiry: now.Add(-time.Minute), Grant: oidcclient.GrantAuthorizationCode})
	_, err := m.Token(context.Background(), "")
	if err == nil || errors.Is(err, ErrExpired) {
		t.Fatalf("err = %v, want a network error, not ErrExpired", err)
	}
}

func TestConcurrentRenewalsRefreshOnce(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	m, _ := newManager(t, p)
	save(t, m, &tokencache.Entry{AccessToken: "old", RefreshToken: "rt", Expiry: now.Add(-time.Minute), Grant: oidcclient.GrantAuthorizationCode})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			e, err := m.Token(context.Background(), "")
			if err == nil && e.AccessToken != "at-refreshed" {
				err = errors.New("got " + e.AccessToken)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := p.refreshes.Load(); got != 1 {
		t.Fatalf("refreshes = %d, want exactly 1", got)
	}
}

func TestRejectedTokenIsRenewedOnceOnly(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	m, _ := newManager(t, p)
	save(t, m, &tokencache.Entry{AccessToken: "current", RefreshToken: "rt", Expiry: now.Add(time.Hour), Grant: oidcclient.GrantAuthorizationCode})

	// A token the cache no longer holds was already replaced: no refresh.
	e, err := m.Token(context.Background(), "older")
	if err != nil || e.AccessToken != "current" || p.refreshes.Load() != 0 {
		t.Fatalf("stale=older: %+v, %v, %d refreshes", e, err, p.refreshes.Load())
	}
	// The cached token itself was rejected by the API: renew it.
	e, err = m.Token(context.Background(), "current")
	if err != nil || e.AccessToken != "at-refreshed" || p.refreshes.Load() != 1 {
		t.Fatalf("stale=current: %+v, %v, %d refreshes", e, err, p.refreshes.Load())
	}
}

func TestClientCredentialsAreReminted(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	m, _ := newManager(t, p)
	save(t, m, &tokencache.Entry{AccessToken: "old", Expiry: now.Add(-time.Second), Grant: oidcclient.GrantClientCredentials})
	e, err := m.Token(context.Background(), "")
	if err != nil || e.AccessToken != "at-minted" || e.Grant != oidcclient.GrantClientCredentials || p.mints.Load() != 1 {
		t.Fatalf("got %+v, %v after %d mints", e, err, p.mints.Load())
	}
}

func TestNoRefreshTokenMeansExpired(t *testing.T) {
	t.Parallel()
	m, connects := newManager(t, &fakeProvider{})
	save(t, m, &tokencache.Entry{AccessToken: "old", Expiry: now.Add(-time.Second), Grant: oidcclient.GrantDeviceCode})
	if _, err := m.Token(context.Background(), ""); !errors.Is(err, ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
	if connects.Load() != 0 {
		t.Fatal("the provider was contacted with nothing to renew")
	}
}

func TestMissingAndCorruptEntries(t *testing.T) {
	t.Parallel()
	m, _ := newManager(t, &fakeProvider{})
	if _, err := m.Token(context.Background(), ""); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("missing entry: err = %v, want ErrNotLoggedIn", err)
	}
	if err := os.MkdirAll(m.Store.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.Store.Path(m.Key), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := m.Token(context.Background(), "")
	var corrupt *CorruptError
	if !errors.Is(err, ErrNotLoggedIn) || !errors.As(err, &corrupt) {
		t.Fatalf("corrupt entry: err = %v, want a CorruptError that counts as logged out", err)
	}
}

func TestSaveAndDelete(t *testing.T) {
	t.Parallel()
	m, _ := newManager(t, &fakeProvider{})
	ctx := context.Background()
	if _, err := m.Save(ctx, &oidcclient.Tokens{AccessToken: "at", Expiry: now.Add(time.Hour), Grant: oidcclient.GrantDeviceCode}); err != nil {
		t.Fatal(err)
	}
	e, err := m.Load()
	if err != nil || e.AccessToken != "at" || e.Issuer != m.Key.Issuer || e.Grant != oidcclient.GrantDeviceCode {
		t.Fatalf("after Save: %+v, %v", e, err)
	}
	if err := m.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("after Delete: %v, want ErrNotLoggedIn", err)
	}
	if err := m.Delete(ctx); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestRenewalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err     error
		expired bool
	}{
		{&oidcclient.OAuthError{Code: "invalid_client", StatusCode: 401}, true},
		{oidcclient.ErrNoClientSecret, true},
		{&oidcclient.OAuthError{StatusCode: 503}, false},
		{&oidcclient.OAuthError{Code: "slow_down", StatusCode: 429}, false},
	}
	for _, tt := range tests {
		m, _ := newManager(t, &fakeProvider{err: tt.err})
		save(t, m, &tokencache.Entry{AccessToken: "old", Expiry: now.Add(-time.Minute), Grant: oidcclient.GrantClientCredentials})
		_, err := m.Token(context.Background(), "")
		if got := errors.Is(err, ErrExpired); got != tt.expired || err == nil {
			t.Errorf("renewal failing with %v: err = %v, expired = %v, want %v", tt.err, err, got, tt.expired)
		}
	}
}
