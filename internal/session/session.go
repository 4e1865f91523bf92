// Package session keeps the signed-in session usable. A Session reads the
// token cache and renews an expired access token under the cache lock, so
// that several hello processes never race each other's refresh-token
// rotation, and so that no failure on the way (a full disk, a refused or
// lost refresh) ever leaves the cache worse than it was.
//
// A Session is an oauth2.TokenSource (Source), and Client builds the one
// authenticated *http.Client that the API client and the userinfo call use:
// it renews an expired token and, on a 401, renews once and retries once.
package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/shield"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// ErrNotLoggedIn means there is no session in the cache.
var ErrNotLoggedIn = errors.New(`not logged in: run "hello login"`)

// ErrRevoked means the session exists but cannot be renewed: the provider
// refused its refresh token (invalid_grant), or it has none left.
var ErrRevoked = errors.New(`session expired or revoked: run "hello login"`)

// ErrNeedSecret means a machine (client-credentials) session's token has
// expired and no client secret is at hand to mint the next one. Logging in
// would not help: the secret is what is missing.
var ErrNeedSecret = errors.New("the machine session's access token has expired and minting a new one needs the client secret: set HELLO_CLIENT_SECRET or [AUTH0] CLIENT_SECRET")

// CannotRenew says why t cannot be renewed without a person: nil when it
// can, ErrNeedSecret for a machine session without its secret, ErrRevoked
// otherwise. It is the one place that decides, for renewals and status.
func CannotRenew(t *token.Token, haveSecret bool) error {
	switch {
	case t.Renewable(haveSecret):
		return nil
	case t.Grant == token.GrantClientCredentials:
		return ErrNeedSecret
	}
	return ErrRevoked
}

// CorruptError is an unreadable cache entry, which counts as logged out.
type CorruptError struct{ Err *tokencache.CorruptError }

func (e *CorruptError) Error() string {
	// A sealed entry that cannot be opened here says itself what to do.
	if errors.Is(e.Err, keystore.ErrUnreadable) {
		return e.Err.Error()
	}
	return fmt.Sprintf("the cached session is unreadable, so you are not logged in: run \"hello login\" (%v)", e.Err)
}

// Unwrap lets errors.Is(err, ErrNotLoggedIn) hold.
func (e *CorruptError) Unwrap() []error { return []error{e.Err, ErrNotLoggedIn} }

// RevokedError is ErrRevoked with the provider's answer that caused it.
type RevokedError struct{ Err error }

func (e *RevokedError) Error() string {
	var he *httperr.Error
	if errors.As(e.Err, &he) {
		return fmt.Sprintf("%v (%s)", ErrRevoked, he.Detail())
	}
	return fmt.Sprintf("%v (%v)", ErrRevoked, e.Err)
}

func (e *RevokedError) Unwrap() []error { return []error{ErrRevoked, e.Err} }

// Renewer is the part of the provider a session needs to renew itself.
type Renewer interface {
	Refresh(ctx context.Context, refreshToken string) (*token.Token, error)
	ClientCredentials(ctx context.Context) (*token.Token, error)
}

// Session hands out usable tokens for one cache key.
type Session struct {
	Store *tokencache.Store
	Key   tokencache.Key
	// Connect reaches the provider. It is called only when a token must be
	// renewed: a valid cached token costs no request to the provider.
	Connect func(ctx context.Context) (Renewer, error)
	// HaveSecret says whether a client-credentials session can mint anew.
	HaveSecret bool
	Now        func() time.Time
	// Notify hears what the user must know although the command goes on,
	// such as a renewed session that could not be saved; nil discards it.
	Notify func(msg string)

	mu sync.Mutex // guards kept and seen
	// kept is a renewal that could not be saved. This process uses it for
	// the rest of its run (a 401 renews from its refresh token, not from
	// the spent one on disk) as long as the entry on disk is still the one
	// it replaced.
	kept *keptEntry
	// seen is the live entry this process last read, saved or renewed. A
	// token still valid by its margin is handed out from it without reading
	// the disk again: a command asks for the token more than once (before
	// its request and in it), and each read is a file and two JSON decodes.
	// Another process may rotate the session meanwhile; the token in hand
	// stays valid all the same, and one the server refuses comes back as
	// Want.Stale, which reads the disk under the lock.
	seen *tokencache.Entry
}

type keptEntry struct {
	entry tokencache.Entry
	// over is the access token of the entry on disk that it replaced.
	over string
}

// RenewTimeout bounds a renewal (discovery, token request, keys) while the
// cache lock is held.
const RenewTimeout = 20 * time.Second

// Want says what token a caller needs.
type Want struct {
	// MinTTL renews the token when less than this remains, even if it is
	// not yet within its renewal margin (`--min-ttl`). The provider decides
	// the lifetime: a caller that needs a guarantee checks the result with
	// Token.ValidFor.
	MinTTL time.Duration
	// Stale is an access token the server refused: it is renewed even if it
	// looks valid, unless another process already replaced it.
	Stale string
}

func (s *Session) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Load returns the cached entry as it is, dead or alive (alive, the renewal
// this process could not save stands in for it). A missing entry is
// ErrNotLoggedIn, a corrupt one *CorruptError.
func (s *Session) Load() (*tokencache.Entry, error) {
	e, err := s.Store.Load(s.Key)
	var corrupt *tokencache.CorruptError
	switch {
	case errors.Is(err, tokencache.ErrNotFound):
		return nil, ErrNotLoggedIn
	case errors.As(err, &corrupt):
		return nil, &CorruptError{Err: corrupt}
	case err != nil:
		return nil, err
	case e.Dead:
		return e, nil
	}
	return s.current(e), nil
}

// live is Load, with a dead entry as ErrRevoked.
func (s *Session) live() (*tokencache.Entry, error) {
	e, err := s.Load()
	if err != nil {
		s.remember(nil)
		return nil, err
	}
	if e.Dead {
		s.remember(nil)
		return e, ErrRevoked
	}
	s.remember(e)
	return e, nil
}

// remember records e as the entry last seen; nil forgets it.
func (s *Session) remember(e *tokencache.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e == nil {
		s.seen = nil
		return
	}
	c := *e
	s.seen = &c
}

// recent is a copy of the entry last seen if its token is valid for at
// least margin, else nil.
func (s *Session) recent(now time.Time, minTTL time.Duration) *tokencache.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil || !s.seen.Token.ValidFor(now, max(s.seen.Token.Margin(), minTTL)) {
		return nil
	}
	c := *s.seen
	return &c
}

// current is e, or the kept renewal of it.
func (s *Session) current(e *tokencache.Entry) *tokencache.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		return e
	}
	if s.kept.over != e.Token.AccessToken {
		// Another process saved a newer entry: the disk moved on.
		s.kept = nil
		return e
	}
	k := s.kept.entry
	return &k
}

// keep remembers renewed, which replaced old but could not be saved; nil
// forgets it once a renewal was saved.
func (s *Session) keep(old, renewed *tokencache.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if renewed == nil {
		s.kept = nil
		return
	}
	over := old.Token.AccessToken
	if s.kept != nil && s.kept.entry.Token.AccessToken == over {
		// old was itself kept: the disk still holds what it replaced.
		over = s.kept.over
	}
	s.kept = &keptEntry{entry: *renewed, over: over}
}

// Token returns a usable token, renewing it first when less than its
// margin (or w.MinTTL) remains, or when it is w.Stale.
func (s *Session) Token(ctx context.Context, w Want) (*token.Token, error) {
	e, err := s.Entry(ctx, w)
	if err != nil {
		return nil, err
	}
	return &e.Token, nil
}

// Entry is Token with the rest of the entry: the user, the ID token.
func (s *Session) Entry(ctx context.Context, w Want) (*tokencache.Entry, error) {
	now := s.now()
	if w.Stale == "" {
		if e := s.recent(now, w.MinTTL); e != nil {
			return e, nil
		}
	}
	e, err := s.live()
	if err != nil {
		return nil, err
	}
	if w.Stale == "" && e.Token.ValidFor(now, max(e.Token.Margin(), w.MinTTL)) {
		return e, nil
	}
	seen := e.Token.AccessToken
	if w.Stale != "" {
		// What the caller saw is the refused token: one that replaced it
		// before this read counts as saved by another process, too.
		seen = w.Stale
	}
	return s.renew(ctx, seen, w)
}

// renew takes the cache lock, re-reads the entry (another process may have
// renewed it while we waited) and renews only if that is still needed.
func (s *Session) renew(ctx context.Context, seen string, w Want) (*tokencache.Entry, error) {
	interrupt.Arm(ctx) // a signal must not leave the lock, a reservation or a refresh half done
	unlock, err := s.Store.Lock(ctx, s.Key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unlock() }()

	e, err := s.live()
	if err != nil {
		return nil, err
	}
	now := s.now()
	// A token another process saved while this one waited is used as it
	// is: judging it by the margin again would renew it a second time.
	if e.Token.AccessToken != seen && e.Token.AccessToken != w.Stale && e.Token.ValidFor(now, w.MinTTL) {
		return e, nil
	}
	if w.Stale == "" && e.Token.ValidFor(now, max(e.Token.Margin(), w.MinTTL)) {
		return e, nil
	}
	if err := CannotRenew(&e.Token, s.HaveSecret); err != nil {
		return nil, err
	}

	// Make the save certain before the refresh token is spent: with
	// rotation, a renewed session that cannot be written is a lost one.
	res, err := s.Store.Prepare(s.Key, e)
	if err != nil {
		return nil, err
	}
	defer res.Abort()

	// Others may be waiting for the lock: bound the time it is held.
	ctx, cancel := context.WithTimeout(ctx, RenewTimeout)
	defer cancel()
	p, err := s.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return s.spend(ctx, p, res, e, w, true)
}

// spend renews e's token at the provider and saves the result through res.
// again allows one more renewal, from an entry another process rotated.
func (s *Session) spend(ctx context.Context, p Renewer, res *tokencache.Reservation, e *tokencache.Entry, w Want, again bool) (*tokencache.Entry, error) {
	var t *token.Token
	var err error
	if e.Token.Grant == token.GrantClientCredentials {
		t, err = p.ClientCredentials(ctx)
	} else {
		t, err = s.refresh(ctx, p, e.Token.RefreshToken)
		if err != nil && oidcclient.IsOAuthError(err, "invalid_grant") {
			return s.refused(ctx, p, res, e, w, err, again)
		}
	}
	if err != nil {
		if ie := interrupted(ctx); ie != nil {
			// Asked to stop, and no renewal came: the run ends as
			// interrupted, whatever else went wrong meanwhile.
			return nil, fmt.Errorf("%w (and the renewal failed: %v)", ie, err)
		}
		return nil, err
	}
	renewed := *e
	renewed.Token = merge(e.Token, *t)
	renewed.SavedAt = time.Time{}
	if err := res.Commit(&renewed); err != nil {
		// The provider has answered: the old refresh token may be spent
		// already, so failing now would throw away the one working token
		// there is. This run uses it; the user learns what the next faces.
		s.keep(e, &renewed)
		s.unsaved(e, &renewed, err)
		s.remember(&renewed)
		return done(ctx, &renewed)
	}
	s.keep(e, nil)
	s.remember(&renewed)
	return done(ctx, &renewed)
}

// done is the renewed entry, or, when a signal came while the provider was
// answering, the interruption: the renewal is kept, the run ends.
func done(ctx context.Context, renewed *tokencache.Entry) (*tokencache.Entry, error) {
	if err := interrupted(ctx); err != nil {
		return nil, fmt.Errorf("the session was renewed and kept, then the command stopped: %w", err)
	}
	return renewed, nil
}

// refresh spends the refresh token. Once the request is on its way the
// provider may rotate the token at any moment, and then only its answer
// holds the session: a Ctrl-C or SIGTERM meanwhile does not cut the request
// short (it would throw the answer away, and the next run would present the
// spent token). The Renewer resumes ctx once the answer is in
// (shield.Resume), so what follows it stops on the signal again.
// RenewTimeout still bounds the wait, a second signal ends hello at once
// (interrupt releases the handler after the first), and the run ends as
// interrupted once the answer is saved.
func (s *Session) refresh(ctx context.Context, p Renewer, refreshToken string) (*token.Token, error) {
	if ctx.Err() != nil {
		// Stopped before the request went out (a signal while the cached
		// provider was reached, or after a refusal): nothing is in flight,
		// so nothing is to be waited for, and the token stays unspent.
		return nil, context.Cause(ctx)
	}
	held, release := shield.Hold(ctx)
	defer release()
	noticed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(noticed)
		// Once the answer is in, the provider resumes ctx for the rest
		// (the ID token's keys): the signal ends that, nothing waits.
		if interrupted(ctx) != nil && shield.Holding(held) {
			s.notify(`interrupted while the provider renews the session: waiting for its answer, so that the session is not lost (Ctrl-C again quits at once, and may lose it)`)
		}
	})
	defer func() {
		if !stop() {
			// The notice has begun: it comes before what the run says
			// next ("interrupted"), not after, nor lost at exit.
			<-noticed
		}
	}()
	return p.Refresh(held, refreshToken)
}

// interrupted is the signal that cancelled ctx, if one did: a renewal saved
// after it still ends the run as interrupted.
func interrupted(ctx context.Context) error {
	var se *interrupt.SignalError
	if cause := context.Cause(ctx); errors.As(cause, &se) {
		return cause
	}
	return nil
}

// unsaved tells the user that a renewal succeeded but could not be saved.
func (s *Session) unsaved(old, renewed *tokencache.Entry, err error) {
	dir, cause := s.Store.Dir, err
	var se *tokencache.SaveError
	if errors.As(err, &se) {
		dir, cause = se.Dir, se.Err
	}
	next := "the next one renews it again"
	if renewed.Token.RefreshToken != old.Token.RefreshToken {
		next = `the next one presents the refresh token this renewal replaced, which the provider may refuse as reused: then run "hello login"`
	}
	s.notify(fmt.Sprintf("the renewed session could not be saved in %s (%v), so this command uses it but %s", dir, cause, next))
}

func (s *Session) notify(msg string) {
	if s.Notify != nil {
		s.Notify(msg)
	}
}

// refused handles invalid_grant. The entry is read again: a process that
// does not honour the lock (an older hello) may have rotated the token, and
// then its entry is the session: its access token is used while valid, else
// its refresh token is spent once (again). It is never marked dead on the
// strength of a refusal of some other refresh token. Otherwise the session
// is dead: the entry is kept, without its spent tokens, to say who was
// logged in, and marked so that every command reports it until the next
// login.
func (s *Session) refused(ctx context.Context, p Renewer, res *tokencache.Reservation, spent *tokencache.Entry, w Want, cause error, again bool) (*tokencache.Entry, error) {
	if cur, err := s.live(); err == nil && cur.Token.RefreshToken != spent.Token.RefreshToken {
		switch {
		case cur.Token.AccessToken != w.Stale && cur.Token.ValidFor(s.now(), w.MinTTL):
			if ie := interrupted(ctx); ie != nil {
				// Asked to stop while the refused refresh was out: the
				// other writer's entry stays for the next run, and this
				// one hands out no token (hello token, hello exec).
				return nil, ie
			}
			return cur, nil
		case again && cur.Token.RefreshToken != "":
			return s.spend(ctx, p, res, cur, w, false)
		}
		return nil, &RevokedError{Err: cause}
	}
	dead := *spent
	dead.Dead = true
	dead.Token.AccessToken, dead.Token.RefreshToken = "", ""
	dead.SavedAt = time.Time{}
	// Should this write fail, the next run is refused again and tries again.
	_ = res.Commit(&dead)
	s.remember(nil)
	return nil, &RevokedError{Err: cause}
}

// merge keeps what a refresh answer may leave out (RFC 6749 §6): the refresh
// token when not rotated, the ID token, the scopes; and the original grant.
func merge(old, t token.Token) token.Token {
	t.Grant = old.Grant
	if t.RefreshToken == "" {
		t.RefreshToken = old.RefreshToken
	}
	if t.IDToken == "" {
		t.IDToken = old.IDToken
	}
	if len(t.Scopes) == 0 {
		t.Scopes = old.Scopes
	}
	return t
}

// Save stores the token of a fresh login under the cache lock, replacing a
// dead or live entry. Nothing is written before the login succeeded, so a
// failed login never destroys a working session.
func (s *Session) Save(ctx context.Context, t *token.Token, user string) (*tokencache.Entry, error) {
	interrupt.Arm(ctx)
	unlock, err := s.Store.Lock(ctx, s.Key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unlock() }()
	e := &tokencache.Entry{Issuer: s.Key.Issuer, ClientID: s.Key.ClientID, Audience: s.Key.Audience, Token: *t, User: user}
	if err := s.Store.Save(s.Key, e); err != nil {
		return nil, err
	}
	s.keep(nil, nil)
	s.remember(e)
	return e, nil
}

// Delete removes the cached session under the cache lock, and returns the
// entry it removed (nil when there was none, or it could not be read): the
// caller may have read an older one, since another process can renew the
// session while a logout revokes its refresh token.
func (s *Session) Delete(ctx context.Context) (*tokencache.Entry, error) {
	interrupt.Arm(ctx)
	unlock, err := s.Store.Lock(ctx, s.Key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unlock() }()
	gone, _ := s.Store.Load(s.Key)
	if err := s.Store.Delete(s.Key); err != nil {
		return nil, err
	}
	s.keep(nil, nil)
	s.remember(nil)
	return gone, nil
}

// Source is the session as an oauth2.TokenSource bound to ctx.
func (s *Session) Source(ctx context.Context) oauth2.TokenSource {
	return source{ctx: ctx, s: s}
}

type source struct {
	ctx context.Context
	s   *Session
}

func (src source) Token() (*oauth2.Token, error) {
	t, err := src.s.Token(src.ctx, Want{})
	if err != nil {
		return nil, err
	}
	return t.OAuth2(), nil
}
