package session

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// fakeProvider counts renewals and rotates refresh tokens like Auth0.
type fakeProvider struct {
	refreshes atomic.Int32
	mints     atomic.Int32
	err       error
	clock     *clock
	ttl       time.Duration
	// during runs inside Refresh, after the provider spent the token.
	during func()
	// refuse, when set, decides per refresh token whether it is refused.
	refuse func(rt string) error
	// keep answers without a new refresh token, as a provider that does
	// not rotate them does.
	keep bool
}

func (p *fakeProvider) Refresh(_ context.Context, rt string) (*token.Token, error) {
	n := p.refreshes.Add(1)
	if p.during != nil {
		p.during()
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.refuse != nil {
		if err := p.refuse(rt); err != nil {
			return nil, err
		}
	}
	now := p.clock.Now()
	next := rt + "+"
	if p.keep {
		next = ""
	}
	return &token.Token{AccessToken: "at-" + string(rune('0'+n)), RefreshToken: next, IssuedAt: now, Expiry: now.Add(p.lifetime()), Grant: token.GrantRefreshToken}, nil
}

func (p *fakeProvider) ClientCredentials(context.Context) (*token.Token, error) {
	p.mints.Add(1)
	if p.err != nil {
		return nil, p.err
	}
	now := p.clock.Now()
	return &token.Token{AccessToken: "at-minted", IssuedAt: now, Expiry: now.Add(p.lifetime()), Grant: token.GrantRefreshToken}, nil
}

func (p *fakeProvider) lifetime() time.Duration {
	if p.ttl == 0 {
		return time.Hour
	}
	return p.ttl
}

// clock is an injected clock; tests move it, nobody sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var start = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func newSession(t *testing.T, p *fakeProvider) *Session {
	t.Helper()
	c := &clock{t: start}
	p.clock = c
	store := tokencache.New(t.TempDir())
	store.Now = c.Now
	return &Session{
		Store:   store,
		Key:     tokencache.Key{Issuer: "http://127.0.0.1:1", ClientID: "hello-cli", Audience: "aud"},
		Connect: func(context.Context) (Renewer, error) { return p, nil },
		Now:     c.Now,
	}
}

// saveToken puts a login of lifetime ttl, issued ago, in the cache.
func saveToken(t *testing.T, s *Session, ago, ttl time.Duration) *tokencache.Entry {
	t.Helper()
	issued := s.Now().Add(-ago)
	e := &tokencache.Entry{User: "alice@example.com", Token: token.Token{
		AccessToken: "at-0", RefreshToken: "rt", IDToken: "id", IssuedAt: issued, Expiry: issued.Add(ttl),
		Grant: token.GrantAuthorizationCode, Scopes: []string{"openid"},
	}}
	if err := s.Store.Save(s.Key, e); err != nil {
		t.Fatal(err)
	}
	return e
}

func load(t *testing.T, s *Session) *tokencache.Entry {
	t.Helper()
	e, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		ago, ttl      time.Duration
		want          Want
		wantRefreshes int32
	}{
		{"fresh hour token", time.Minute, time.Hour, Want{}, 0},
		{"hour token within its 10s margin", time.Hour - 5*time.Second, time.Hour, Want{}, 1},
		{"expired", 2 * time.Hour, time.Hour, Want{}, 1},
		// A fixed 10 s margin called every 5 s token expiring.
		{"fresh 5s token", 0, 5 * time.Second, Want{}, 0},
		{"5s token outside its 0.5s margin", 4 * time.Second, 5 * time.Second, Want{}, 0},
		{"5s token inside its margin", 4600 * time.Millisecond, 5 * time.Second, Want{}, 1},
		{"min ttl not met", 30 * time.Minute, time.Hour, Want{MinTTL: 45 * time.Minute}, 1},
		{"min ttl met", 10 * time.Minute, time.Hour, Want{MinTTL: 45 * time.Minute}, 0},
		{"stale", time.Minute, time.Hour, Want{Stale: "at-0"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &fakeProvider{}
			s := newSession(t, p)
			saveToken(t, s, tc.ago, tc.ttl)
			tok, err := s.Token(t.Context(), tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.refreshes.Load(); got != tc.wantRefreshes {
				t.Fatalf("%d refreshes, want %d", got, tc.wantRefreshes)
			}
			if tc.wantRefreshes == 0 {
				if tok.AccessToken != "at-0" {
					t.Errorf("token %q, want the cached one", tok.AccessToken)
				}
				return
			}
			e := load(t, s)
			if tok.AccessToken != "at-1" || e.Token.AccessToken != "at-1" || e.Token.RefreshToken != "rt+" {
				t.Errorf("got %q; cache holds %q / %q, want the rotated tokens saved", tok.AccessToken, e.Token.AccessToken, e.Token.RefreshToken)
			}
			if e.Token.Grant != token.GrantAuthorizationCode || e.Token.IDToken != "id" || e.User != "alice@example.com" {
				t.Errorf("renewal lost what the answer left out: %+v", e)
			}
		})
	}
}

func TestNotLoggedIn(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	if _, err := s.Token(t.Context(), Want{}); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("Token = %v, want ErrNotLoggedIn", err)
	}
	if err := os.WriteFile(s.Store.Path(s.Key), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Token(t.Context(), Want{})
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("Token = %v, want *CorruptError matching ErrNotLoggedIn", err)
	}
	if n := strings.Count(err.Error(), s.Store.Path(s.Key)); n != 1 {
		t.Errorf("the message names the file %d times, want once: %s", n, err)
	}
}

func TestInvalidGrantMarksTheSessionDead(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{err: &httperr.Error{What: httperr.Token, StatusCode: 400, Code: "invalid_grant"}}
	s := newSession(t, p)
	saveToken(t, s, 2*time.Hour, time.Hour)
	_, err := s.Token(t.Context(), Want{})
	if !errors.Is(err, ErrRevoked) || !strings.HasPrefix(err.Error(), `session expired or revoked: run "hello login"`) {
		t.Fatalf("Token = %v, want ErrRevoked", err)
	}
	e := load(t, s)
	if !e.Dead || e.User != "alice@example.com" || e.Token.RefreshToken != "" || e.Token.AccessToken != "" {
		t.Errorf("entry after invalid_grant: %+v; want dead, spent tokens gone, user kept", e)
	}
	// Every later call is refused without asking the provider again.
	if _, err := s.Token(t.Context(), Want{}); !errors.Is(err, ErrRevoked) {
		t.Errorf("second call: %v", err)
	}
	if n := p.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

func TestInvalidGrantAfterAnotherProcessRotated(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{err: &httperr.Error{What: httperr.Token, StatusCode: 400, Code: "invalid_grant"}}
	s := newSession(t, p)
	saveToken(t, s, 2*time.Hour, time.Hour)
	// A process that does not take the lock rotates the token while ours
	// is in flight, so ours is refused as reused.
	p.during = func() {
		now := s.Now()
		_ = s.Store.Save(s.Key, &tokencache.Entry{Token: token.Token{AccessToken: "at-other", RefreshToken: "rt-other", IssuedAt: now, Expiry: now.Add(time.Hour), Grant: token.GrantAuthorizationCode}})
	}
	tok, err := s.Token(t.Context(), Want{})
	if err != nil || tok.AccessToken != "at-other" {
		t.Fatalf("Token = %v, %v; want the other process's token", tok, err)
	}
	if e := load(t, s); e.Dead || e.Token.RefreshToken != "rt-other" {
		t.Errorf("entry: %+v; want the other process's, alive", e)
	}
}

func TestInvalidGrantAfterAnotherProcessRotatedAnExpiredToken(t *testing.T) {
	t.Parallel()
	invalid := &httperr.Error{What: httperr.Token, StatusCode: 400, Code: "invalid_grant"}
	for _, tc := range []struct {
		name string
		// refused are the refresh tokens the provider refuses.
		refused   []string
		wantToken string
		wantRT    string
		wantDead  bool
	}{
		// The other writer's refresh token is the session: renewed from,
		// not thrown away because its access token has expired.
		{name: "renews from the rotated entry", refused: []string{"rt"}, wantToken: "at-2", wantRT: "rt-other+"},
		// Refused too (reuse detection revoked the whole family): now the
		// entry's own refresh token was refused, and only then is it dead.
		{name: "rotated entry refused too", refused: []string{"rt", "rt-other"}, wantDead: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &fakeProvider{}
			s := newSession(t, p)
			saveToken(t, s, 2*time.Hour, time.Hour)
			p.refuse = func(rt string) error {
				if slices.Contains(tc.refused, rt) {
					return invalid
				}
				return nil
			}
			// A process that does not take the lock rotates the token while
			// ours is in flight, and its access token has expired since.
			p.during = func() {
				if p.refreshes.Load() != 1 {
					return
				}
				now := s.Now()
				_ = s.Store.Save(s.Key, &tokencache.Entry{User: "alice@example.com", Token: token.Token{
					AccessToken: "at-other", RefreshToken: "rt-other", IssuedAt: now.Add(-2 * time.Hour), Expiry: now.Add(-time.Hour), Grant: token.GrantAuthorizationCode,
				}})
			}
			tok, err := s.Token(t.Context(), Want{})
			if n := p.refreshes.Load(); n != 2 {
				t.Errorf("%d refreshes, want 2 (the refused one, then once from the rotated entry)", n)
			}
			e := load(t, s)
			if tc.wantDead {
				if !errors.Is(err, ErrRevoked) || !e.Dead || e.User != "alice@example.com" {
					t.Errorf("Token = %v; entry %+v; want ErrRevoked and a dead entry naming alice", err, e)
				}
				return
			}
			if err != nil || tok.AccessToken != tc.wantToken {
				t.Fatalf("Token = %+v, %v; want %s renewed from the other process's refresh token", tok, err, tc.wantToken)
			}
			if e.Dead || e.Token.RefreshToken != tc.wantRT || e.Token.AccessToken != tc.wantToken {
				t.Errorf("entry: %+v; want alive with %s / %s", e, tc.wantToken, tc.wantRT)
			}
		})
	}
}

// commitFailing is a disk that lets a save be prepared, then fails to
// commit it (an I/O error, the directory made read-only meanwhile).
type commitFailing struct{ err error }

func (f commitFailing) Prepare(string, int64) (tokencache.Pending, error) { return f, nil }
func (f commitFailing) Commit([]byte) error                               { return f.err }
func (commitFailing) Abort()                                              {}

func TestSaveFailingAfterTheRefreshUsesTheFreshToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		keep     bool // the provider does not rotate refresh tokens
		wantNext string
	}{
		{"rotated", false, `"hello login"`},
		{"not rotated", true, "renews it again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &fakeProvider{keep: tc.keep}
			s := newSession(t, p)
			saveToken(t, s, 2*time.Hour, time.Hour)
			var notes []string
			s.Notify = func(msg string) { notes = append(notes, msg) }
			s.Store.Files = commitFailing{&os.PathError{Op: "rename", Path: s.Store.Dir + "/x.json", Err: syscall.EIO}}
			tok, err := s.Token(t.Context(), Want{})
			if err != nil || tok.AccessToken != "at-1" {
				t.Fatalf("Token = %+v, %v; want the fresh token for this run", tok, err)
			}
			if len(notes) != 1 {
				t.Fatalf("notes %q, want one", notes)
			}
			n := notes[0]
			if !strings.Contains(n, s.Store.Dir) || !strings.Contains(n, tc.wantNext) || strings.Contains(n, "left as it was") || strings.Count(n, ". ") != 0 || strings.Contains(n, "\n") {
				t.Errorf("note %q: want one sentence naming %s and %q, never that the session was left as it was", n, s.Store.Dir, tc.wantNext)
			}
			// The rest of the run uses it too, and a 401 renews from its
			// refresh token, not from the spent one on disk.
			if again, err := s.Token(t.Context(), Want{}); err != nil || again.AccessToken != "at-1" || p.refreshes.Load() != 1 {
				t.Errorf("second Token = %+v, %v after %d refreshes; want the kept at-1 without another", again, err, p.refreshes.Load())
			}
			var spent []string
			p.refuse = func(rt string) error { spent = append(spent, rt); return nil }
			if renewed, err := s.Token(t.Context(), Want{Stale: "at-1"}); err != nil || renewed.AccessToken != "at-2" {
				t.Errorf("renewal after a 401 = %+v, %v", renewed, err)
			}
			wantRT := "rt+"
			if tc.keep {
				wantRT = "rt"
			}
			if len(spent) != 1 || spent[0] != wantRT {
				t.Errorf("the renewal spent %q, want %q (the kept refresh token)", spent, wantRT)
			}
			s.Store.Files = nil
			if e, err := s.Store.Load(s.Key); err != nil || e.Dead || e.Token.RefreshToken != "rt" {
				t.Errorf("entry on disk: %+v, %v; want the one before the refresh", e, err)
			}
			// Once a renewal is saved, the disk is the session again.
			if _, err := s.Token(t.Context(), Want{Stale: "at-2"}); err != nil {
				t.Fatal(err)
			}
			if e, err := s.Store.Load(s.Key); err != nil || e.Token.AccessToken != "at-3" {
				t.Errorf("entry on disk: %+v; want the saved renewal at-3", e)
			}
		})
	}
}

func TestExpiredMachineSessionWithoutASecret(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	e := &tokencache.Entry{Token: token.Token{AccessToken: "old", Expiry: start.Add(-time.Minute), Grant: token.GrantClientCredentials}}
	if err := s.Store.Save(s.Key, e); err != nil {
		t.Fatal(err)
	}
	_, err := s.Token(t.Context(), Want{})
	if !errors.Is(err, ErrNeedSecret) || !strings.Contains(err.Error(), "HELLO_CLIENT_SECRET") || strings.Contains(err.Error(), "hello login") {
		t.Errorf("Token = %v; want ErrNeedSecret, naming HELLO_CLIENT_SECRET", err)
	}
	if err := CannotRenew(&e.Token, false); !errors.Is(err, ErrNeedSecret) {
		t.Errorf("CannotRenew = %v, want ErrNeedSecret", err)
	}
	if p.mints.Load() != 0 {
		t.Error("minted without a secret")
	}
}

func TestTemporaryFailuresKeepTheSession(t *testing.T) {
	t.Parallel()
	for _, fail := range []error{
		&httperr.Error{What: httperr.Token, StatusCode: 400, Code: "temporarily_unavailable"},
		&httperr.Error{What: httperr.Token, StatusCode: 429, RetryAfter: 5 * time.Second},
		&httperr.Error{What: httperr.Token, StatusCode: 503},
		syscall.ECONNREFUSED,
	} {
		p := &fakeProvider{err: fail}
		s := newSession(t, p)
		before := saveToken(t, s, 2*time.Hour, time.Hour)
		_, err := s.Token(t.Context(), Want{})
		if !errors.Is(err, fail) || errors.Is(err, ErrRevoked) {
			t.Errorf("%v: Token = %v, want the failure itself, not a dead session", fail, err)
		}
		if e := load(t, s); e.Dead || e.Token.RefreshToken != before.Token.RefreshToken {
			t.Errorf("%v: entry changed: %+v", fail, e)
		}
	}
}

// failingFiles is a disk on which no new file can be made.
type failingFiles struct{ err error }

func (f failingFiles) Prepare(string, int64) (tokencache.Pending, error) { return nil, f.err }

func TestUnwritableCacheFailsBeforeTheRefreshTokenIsSpent(t *testing.T) {
	t.Parallel()
	for _, errno := range []error{syscall.ENOSPC, syscall.EROFS} {
		p := &fakeProvider{}
		s := newSession(t, p)
		saveToken(t, s, 2*time.Hour, time.Hour)
		s.Store.Files = failingFiles{&os.PathError{Op: "open", Path: s.Store.Dir + "/.tmp", Err: errno}}
		_, err := s.Token(t.Context(), Want{})
		var se *tokencache.SaveError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), s.Store.Dir) {
			t.Errorf("%v: Token = %v, want a *SaveError naming %s", errno, err, s.Store.Dir)
		}
		if n := p.refreshes.Load(); n != 0 {
			t.Errorf("%v: the provider was asked %d times; the refresh token must not be spent", errno, n)
		}
		s.Store.Files = nil
		if e := load(t, s); e.Dead || e.Token.RefreshToken != "rt" {
			t.Errorf("%v: entry changed: %+v", errno, e)
		}
	}
}

func TestConcurrentRenewalsRefreshOnce(t *testing.T) {
	t.Parallel()
	// 32 callers on one expired 5 s token, each with its own Session over
	// the same directory as separate processes would have.
	p := &fakeProvider{ttl: 5 * time.Second}
	first := newSession(t, p)
	saveToken(t, first, time.Minute, 5*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		s := &Session{Store: &tokencache.Store{Dir: first.Store.Dir, Now: first.Now}, Key: first.Key, Connect: first.Connect, Now: first.Now}
		wg.Go(func() {
			tok, err := s.Token(context.Background(), Want{})
			if err == nil && tok.AccessToken != "at-1" {
				err = errors.New("got " + tok.AccessToken)
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
	if n := p.refreshes.Load(); n != 1 {
		t.Errorf("%d refreshes, want exactly 1", n)
	}
}

func TestTokenSavedWhileWaitingIsUsedAsItIs(t *testing.T) {
	t.Parallel()
	// The waiter saw an expired token; by the time it has the lock another
	// process saved one that is already inside its own margin. It is used
	// as it is rather than renewed again.
	p := &fakeProvider{}
	s := newSession(t, p)
	before := saveToken(t, s, time.Minute, 2*time.Second)
	now := s.Now()
	other := &tokencache.Entry{Token: token.Token{AccessToken: "at-other", RefreshToken: "rt2", IssuedAt: now.Add(-1900 * time.Millisecond), Expiry: now.Add(100 * time.Millisecond), Grant: token.GrantAuthorizationCode}}
	if err := s.Store.Save(s.Key, other); err != nil {
		t.Fatal(err)
	}
	// What Token does after the lock, given what it saw before it.
	tok, err := s.renew(t.Context(), before.Token.AccessToken, Want{})
	if err != nil || tok.Token.AccessToken != "at-other" {
		t.Errorf("renew = %+v, %v; want the token saved meanwhile", tok, err)
	}
	if n := p.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes, want 0", n)
	}
}

func TestStaleTokenAlreadyReplacedIsNotRenewedAgain(t *testing.T) {
	t.Parallel()
	// Two processes got a 401 for the same token. The first renewed it;
	// the second, asking only now, finds the replacement already in the
	// cache (before it even takes the lock) and must use it, not spend
	// the refresh token a second time.
	p := &fakeProvider{}
	s := newSession(t, p)
	saveToken(t, s, time.Minute, time.Hour)
	now := s.Now()
	other := &tokencache.Entry{User: "alice@example.com", Token: token.Token{AccessToken: "at-other", RefreshToken: "rt2", IssuedAt: now, Expiry: now.Add(time.Hour), Grant: token.GrantAuthorizationCode}}
	if err := s.Store.Save(s.Key, other); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token(t.Context(), Want{Stale: "at-0"})
	if err != nil || tok.AccessToken != "at-other" {
		t.Fatalf("Token = %+v, %v; want the replacement", tok, err)
	}
	if n := p.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes, want 0", n)
	}
}

func TestClientCredentialsMintAnew(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	s.HaveSecret = true
	e := &tokencache.Entry{Token: token.Token{AccessToken: "old", Expiry: start.Add(-time.Minute), Grant: token.GrantClientCredentials}}
	if err := s.Store.Save(s.Key, e); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token(t.Context(), Want{})
	if err != nil || tok.AccessToken != "at-minted" || tok.Grant != token.GrantClientCredentials || p.mints.Load() != 1 {
		t.Fatalf("Token = %+v, %v; mints %d", tok, err, p.mints.Load())
	}
	// invalid_grant from client credentials is not a dead login.
	p.err = &httperr.Error{What: httperr.Token, StatusCode: 400, Code: "invalid_grant"}
	s.Store.Save(s.Key, e)
	if _, err := s.Token(t.Context(), Want{}); errors.Is(err, ErrRevoked) {
		t.Errorf("client credentials refused: %v, want the refusal, not ErrRevoked", err)
	}
}

func TestSource(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	saveToken(t, s, time.Minute, time.Hour)
	o, err := s.Source(t.Context()).Token()
	if err != nil || o.AccessToken != "at-0" || o.Extra("id_token") != "id" {
		t.Errorf("Source().Token() = %+v, %v", o, err)
	}
}

// tokens is a double of the session for the authenticated client.
type tokens struct {
	mu    sync.Mutex
	calls []Want
	next  int
	err   error
}

func (d *tokens) Token(_ context.Context, w Want) (*token.Token, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, w)
	if d.err != nil {
		return nil, d.err
	}
	if w.Stale != "" {
		d.next++
	}
	return &token.Token{AccessToken: "tok-" + string(rune('a'+d.next))}, nil
}

type recordingRT struct {
	mu     sync.Mutex
	auths  []string
	status []int // answered in order; 200 after the list
}

func (r *recordingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.auths = append(r.auths, req.Header.Get("Authorization"))
	code := 200
	if len(r.status) > 0 {
		code, r.status = r.status[0], r.status[1:]
	}
	return &http.Response{StatusCode: code, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

func TestClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		status     []int
		wantAuths  []string
		wantStatus int
	}{
		{"ok", nil, []string{"Bearer tok-a"}, 200},
		{"401 renews once and retries once", []int{401}, []string{"Bearer tok-a", "Bearer tok-b"}, 200},
		{"a fresh token refused too", []int{401, 401}, []string{"Bearer tok-a", "Bearer tok-b"}, 401},
		{"403 is not retried", []int{403}, []string{"Bearer tok-a"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := &recordingRT{status: tc.status}
			src := &tokens{}
			c := Client(&http.Client{Transport: rt}, src, "https://api.example.com")
			resp, err := c.Get("https://api.example.com/api/messages/protected")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || strings.Join(rt.auths, ",") != strings.Join(tc.wantAuths, ",") {
				t.Errorf("status %d, Authorization %q; want %d, %q", resp.StatusCode, rt.auths, tc.wantStatus, tc.wantAuths)
			}
			if len(tc.wantAuths) == 2 && src.calls[1].Stale != "tok-a" {
				t.Errorf("renewal asked with %+v, want Stale tok-a", src.calls[1])
			}
		})
	}
}

func TestClientSendsTheTokenOnlyToItsOrigin(t *testing.T) {
	t.Parallel()
	rt := &recordingRT{}
	c := Client(&http.Client{Transport: rt}, &tokens{}, "https://api.example.com")
	for _, u := range []string{"https://evil.example.com/", "http://api.example.com/", "https://api.example.com:8443/"} {
		if _, err := c.Get(u); !errors.Is(err, ErrOtherOrigin) {
			t.Errorf("GET %s: %v, want ErrOtherOrigin", u, err)
		}
	}
	if len(rt.auths) != 0 {
		t.Errorf("requests were sent: %q", rt.auths)
	}
}

func TestClientReportsTheSessionError(t *testing.T) {
	t.Parallel()
	c := Client(&http.Client{Transport: &recordingRT{}}, &tokens{err: ErrNotLoggedIn}, "")
	_, err := c.Get("https://api.example.com/")
	var te *TokenError
	if !errors.As(err, &te) || !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("Get = %v, want a *TokenError with ErrNotLoggedIn", err)
	}
}

// TestValidTokenIsReadOnce: a command asks for the token before its request
// and again in it; a token still valid by its margin comes from the entry
// already read, not from the disk a second time. Asked for more than it has
// (MinTTL) or told it was refused (Stale), the session reads the disk again.
func TestValidTokenIsReadOnce(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	saveToken(t, s, time.Minute, time.Hour)
	first, err := s.Token(t.Context(), Want{})
	if err != nil {
		t.Fatal(err)
	}
	// Whatever is on disk now cannot be what the next call returns.
	if err := os.WriteFile(s.Store.Path(s.Key), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := s.Token(t.Context(), Want{})
	if err != nil || again.AccessToken != first.AccessToken {
		t.Fatalf("second Token = %+v, %v; want %q without reading the disk", again, err, first.AccessToken)
	}
	e, err := s.Entry(t.Context(), Want{})
	if err != nil || e.User != "alice@example.com" || e.Token.IDToken != "id" {
		t.Fatalf("Entry = %+v, %v; want the whole entry read before", e, err)
	}
	e.Token.AccessToken = "changed by the caller"
	if again, _ := s.Token(t.Context(), Want{}); again.AccessToken != first.AccessToken {
		t.Errorf("a caller's change to an entry reached the session: %q", again.AccessToken)
	}
	var corrupt *CorruptError
	if _, err := s.Token(t.Context(), Want{MinTTL: 2 * time.Hour}); !errors.As(err, &corrupt) {
		t.Errorf("Token(MinTTL beyond the lifetime) = %v; want the disk read again (corrupt)", err)
	}
	saveToken(t, s, time.Minute, time.Hour)
	if _, err := s.Token(t.Context(), Want{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Store.Path(s.Key), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(t.Context(), Want{Stale: first.AccessToken}); !errors.As(err, &corrupt) {
		t.Errorf("Token(Stale) = %v; want the disk read again (corrupt)", err)
	}
	if n := p.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes, want 0", n)
	}
}

// TestExpiredTokenIsReadAgain: an entry seen earlier whose token has since
// entered its margin is not trusted: the disk may hold another process's
// renewal, which is used without a refresh of our own.
func TestExpiredTokenIsReadAgain(t *testing.T) {
	t.Parallel()
	p := &fakeProvider{}
	s := newSession(t, p)
	saveToken(t, s, 0, time.Hour)
	if _, err := s.Token(t.Context(), Want{}); err != nil {
		t.Fatal(err)
	}
	c := s.Now()
	renewed := &tokencache.Entry{User: "alice@example.com", Token: token.Token{AccessToken: "at-other", RefreshToken: "rt2",
		IssuedAt: c.Add(time.Hour), Expiry: c.Add(3 * time.Hour), Grant: token.GrantAuthorizationCode}}
	if err := s.Store.Save(s.Key, renewed); err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return c.Add(2 * time.Hour) }
	got, err := s.Token(t.Context(), Want{})
	if err != nil || got.AccessToken != "at-other" {
		t.Fatalf("Token after expiry = %+v, %v; want the entry on disk", got, err)
	}
	if n := p.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes, want 0", n)
	}
}
