// Package session keeps the signed-in session usable: it reads the token
// cache, and renews an expired access token under the cache lock so that
// several hello processes never race each other's refresh-token rotation.
package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/tokencache"
)

// ErrNotLoggedIn means there is no usable session in the cache.
var ErrNotLoggedIn = errors.New(`not logged in: run "hello login"`)

// ErrExpired means the session exists but the provider refused to renew it.
var ErrExpired = errors.New(`session expired: run "hello login"`)

// Renewer is the part of the provider a session needs to renew itself.
type Renewer interface {
	Refresh(ctx context.Context, refreshToken string) (*oidcclient.Tokens, error)
	ClientCredentials(ctx context.Context) (*oidcclient.Tokens, error)
}

// Manager hands out usable tokens for one cache key.
type Manager struct {
	Store *tokencache.Store
	Key   tokencache.Key
	// Connect reaches the provider. It is called only when a token must be
	// renewed: a valid cached token costs no request to the provider.
	Connect func(ctx context.Context) (Renewer, error)
	Now     func() time.Time
}

// RenewTimeout bounds a renewal (discovery, token request, keys) while the
// cache lock is held.
const RenewTimeout = 20 * time.Second

// Margin renews tokens this close to expiry, so that a token does not
// expire between the check and the API call.
const Margin = 10 * time.Second

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Load returns the cached entry. A missing entry is ErrNotLoggedIn; a
// corrupt one is ErrNotLoggedIn too, wrapping the corruption so the caller
// can report it.
func (m *Manager) Load() (*tokencache.Entry, error) {
	e, err := m.Store.Load(m.Key)
	switch {
	case errors.Is(err, tokencache.ErrNotFound):
		return nil, ErrNotLoggedIn
	case err != nil:
		return nil, &CorruptError{Err: err}
	}
	return e, nil
}

// CorruptError reports an unreadable cache entry, which counts as logged out.
type CorruptError struct{ Err error }

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v; treating it as logged out: run \"hello login\"", e.Err)
}

// Unwrap lets errors.Is(err, ErrNotLoggedIn) hold.
func (e *CorruptError) Unwrap() []error { return []error{e.Err, ErrNotLoggedIn} }

// Token returns a usable entry, renewing the access token first when it has
// expired. A non-empty stale names a token the API rejected: it is renewed
// even if it looks valid, unless another process already replaced it.
func (m *Manager) Token(ctx context.Context, stale string) (*tokencache.Entry, error) {
	e, err := m.Load()
	if err != nil {
		return nil, err
	}
	if stale == "" && e.Valid(m.now(), Margin) {
		return e, nil
	}
	return m.renew(ctx, stale)
}

// renew takes the cache lock, re-reads the entry (another process may have
// renewed it while we waited) and renews only if that is still needed.
func (m *Manager) renew(ctx context.Context, stale string) (*tokencache.Entry, error) {
	unlock, err := m.Store.Lock(ctx, m.Key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unlock() }()

	e, err := m.Load()
	if err != nil {
		return nil, err
	}
	if e.AccessToken != stale && e.Valid(m.now(), Margin) {
		return e, nil
	}
	if e.Grant != oidcclient.GrantClientCredentials && e.RefreshToken == "" {
		return nil, ErrExpired
	}
	// Others may be waiting for the lock: bound the time it is held.
	ctx, cancel := context.WithTimeout(ctx, RenewTimeout)
	defer cancel()
	p, err := m.Connect(ctx)
	if err != nil {
		return nil, err
	}
	var t *oidcclient.Tokens
	if e.Grant == oidcclient.GrantClientCredentials {
		t, err = p.ClientCredentials(ctx)
	} else {
		t, err = p.Refresh(ctx, e.RefreshToken)
	}
	if refused(err) {
		// The cached entry is left alone: deleting it would lose the ID
		// token that logout needs to end the provider session.
		return nil, fmt.Errorf("%w (%v)", ErrExpired, err)
	}
	if err != nil {
		return nil, fmt.Errorf("renew the access token: %w", err)
	}
	renewed := m.entry(t, e.Grant)
	if renewed.RefreshToken == "" {
		renewed.RefreshToken = e.RefreshToken
	}
	if renewed.IDToken == "" {
		renewed.IDToken = e.IDToken
	}
	if len(renewed.Scopes) == 0 {
		renewed.Scopes = e.Scopes
	}
	if err := m.Store.Save(m.Key, renewed); err != nil {
		return nil, err
	}
	return renewed, nil
}

// Save stores the tokens of a fresh login under the cache lock. Nothing is
// written before the login succeeded, so a failed login never destroys a
// working session.
func (m *Manager) Save(ctx context.Context, t *oidcclient.Tokens) (*tokencache.Entry, error) {
	unlock, err := m.Store.Lock(ctx, m.Key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unlock() }()
	e := m.entry(t, t.Grant)
	if err := m.Store.Save(m.Key, e); err != nil {
		return nil, err
	}
	return e, nil
}

// Delete removes the cached session under the cache lock.
func (m *Manager) Delete(ctx context.Context) error {
	unlock, err := m.Store.Lock(ctx, m.Key)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }()
	return m.Store.Delete(m.Key)
}

func (m *Manager) entry(t *oidcclient.Tokens, grant string) *tokencache.Entry {
	return &tokencache.Entry{
		Issuer:       m.Key.Issuer,
		ClientID:     m.Key.ClientID,
		Audience:     m.Key.Audience,
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		IDToken:      t.IDToken,
		TokenType:    t.TokenType,
		Expiry:       t.Expiry,
		Scopes:       t.Scopes,
		Grant:        grant,
		SavedAt:      m.now().UTC(),
	}
}

// refused reports whether the provider (or the configuration) refused the
// renewal for good, as opposed to failing for now: an OAuth error below 500,
// such as invalid_grant or invalid_client, or no client secret to mint with.
// Network failures and 5xx stay what they are (exit 3), so that a provider
// outage is never reported as a dead session.
func refused(err error) bool {
	var oe *oidcclient.OAuthError
	return errors.Is(err, oidcclient.ErrNoClientSecret) || (errors.As(err, &oe) && !oe.Temporary())
}
