package keystore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hello-cli/hello/internal/seal"
)

// Entry names the cache entry whose token fields are sealed or opened: its
// file, named in messages, and its identity, bound into every ciphertext
// as additional data, so that a sealed token copied into another entry or
// another field does not open.
type Entry struct {
	Path                       string
	Issuer, ClientID, Audience string
}

// Field is one token field of an entry, by its name in the file.
type Field struct {
	Name  string
	Value *string
}

// additionalData is the entry's identity and the field's name, each
// length-prefixed so that no two different tuples encode alike.
func additionalData(e Entry, field string) []byte {
	b := []byte("hello token v1")
	for _, s := range []string{e.Issuer, e.ClientID, e.Audience, field} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// ErrUnreadable is matched (errors.Is) by every *SealedError: the entry
// exists, but its tokens cannot be opened here. Callers treat it as
// logged out, never as a crash.
var ErrUnreadable = errors.New("the cached session cannot be decrypted")

// SealedError explains why a sealed entry cannot be opened, and what to
// do. The token cache names the file around it.
type SealedError struct {
	Backend string
	// Cause is one of ErrFileMode, ErrKeyringUnreachable (with Reason),
	// ErrKeyMissing, ErrKeyUnusable, seal.ErrWrongKey or seal.ErrTampered.
	Cause  error
	Reason string
}

var (
	// ErrFileMode: a sealed entry read with --token-storage file.
	ErrFileMode = errors.New("--token-storage file does not read the keyring")
	// ErrKeyringUnreachable: a sealed entry read where auto mode found no keyring.
	ErrKeyringUnreachable = errors.New("the keyring is not reachable")
)

func (e *SealedError) Error() string {
	switch {
	case errors.Is(e.Cause, ErrFileMode):
		return fmt.Sprintf("the session is encrypted with a key kept in the %s, and --token-storage file does not read the keyring: use --token-storage auto (or keyring), or run \"hello login\" to replace it", e.Backend)
	case errors.Is(e.Cause, ErrKeyringUnreachable):
		return fmt.Sprintf("the session is encrypted with a key kept in the %s, which cannot be read here (%s): run hello where the keyring is unlocked and reachable, or run \"hello login\" to replace it", e.Backend, e.Reason)
	case errors.Is(e.Cause, ErrKeyMissing), errors.Is(e.Cause, ErrKeyUnusable):
		return fmt.Sprintf("the key that encrypts the session is no longer in the %s: run \"hello login\"", e.Backend)
	case errors.Is(e.Cause, seal.ErrWrongKey):
		return fmt.Sprintf("the session was encrypted with another key than the one in the %s (the key was replaced): run \"hello login\"", e.Backend)
	}
	return fmt.Sprintf("the session does not decrypt with the key in the %s (the file was edited or damaged): run \"hello login\"", e.Backend)
}

// Unwrap returns the cause.
func (e *SealedError) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, ErrUnreadable) hold.
func (e *SealedError) Is(target error) bool { return target == ErrUnreadable }

// Seal replaces the fields' values by sealed ones when the keyring is in
// use, making the key on first use; otherwise it leaves them plain (and
// auto mode says so, once). Empty values stay empty. It returns where the
// tokens are kept. In keyring mode without a keyring it fails with
// *UnavailableError and changes nothing.
func (s *Store) Seal(ctx context.Context, e Entry, fields ...Field) (Location, error) {
	s.mu.Lock()
	loc, err := s.resolveLocked(ctx)
	if err != nil || !loc.Keyring {
		s.mu.Unlock()
		if err == nil {
			s.Notice(e.Path)
		}
		return loc, err
	}
	k, err := s.keyForSeal(ctx)
	if err != nil && s.cfg.Mode == Auto && ctx.Err() == nil {
		// The keyring answered the probe but will not keep a key (a
		// locked keyring whose prompt outlasted the bound, a refused
		// write). No entry can be sealed with a key that does not exist,
		// so the plain file is as safe as it gets: say so, as for any
		// fallback, rather than fail the login or refresh.
		loc = Location{Backend: s.name, Fallback: "it did not store the key: " + describe(err, s.cfg.Timeout)}
		s.loc, s.key, s.keyErr = loc, nil, ErrKeyMissing
		s.writeMemo(loc.Fallback)
		s.mu.Unlock()
		s.Notice(e.Path)
		return loc, nil
	}
	defer s.mu.Unlock()
	if err != nil {
		return loc, err
	}
	sealed := make([]string, len(fields))
	for i, f := range fields {
		if seal.IsSealed(*f.Value) {
			return loc, fmt.Errorf("token field %s is sealed already", f.Name)
		}
		if sealed[i], err = seal.Seal(k, *f.Value, additionalData(e, f.Name)); err != nil {
			return loc, err
		}
	}
	for i, f := range fields {
		*f.Value = sealed[i]
	}
	return loc, nil
}

// Open replaces sealed field values by their plaintext. Plain values are
// left as they are, so entries written before sealing keep working (and
// are sealed at their next save). File mode touches the keyring never,
// and other modes read it at most once per process. A sealed value that
// cannot be opened fails with a *SealedError (logged out) and changes
// nothing.
func (s *Store) Open(ctx context.Context, e Entry, fields ...Field) (Location, error) {
	anySealed := false
	for _, f := range fields {
		anySealed = anySealed || seal.IsSealed(*f.Value)
	}
	s.mu.Lock()
	if s.cfg.Mode == File {
		s.mu.Unlock()
		if anySealed {
			return Location{Backend: s.name}, &SealedError{Backend: s.name, Cause: ErrFileMode}
		}
		return Location{Backend: s.name}, nil
	}
	// A sealed entry proves a keyring was here: a remembered failed probe
	// may be out of date (the keyring was locked, or its daemon restarted),
	// so it is asked again rather than the session called unreadable.
	loc, err := s.resolveMemo(ctx, !anySealed)
	if err != nil {
		s.mu.Unlock()
		return loc, err
	}
	if !loc.Keyring {
		s.mu.Unlock()
		if anySealed {
			return loc, &SealedError{Backend: s.name, Cause: ErrKeyringUnreachable, Reason: loc.Fallback}
		}
		s.Notice(e.Path)
		return loc, nil
	}
	defer s.mu.Unlock()
	if !anySealed {
		return loc, nil
	}
	if s.key == nil {
		return loc, &SealedError{Backend: s.name, Cause: s.keyErr}
	}
	plain := make([]string, len(fields))
	for i, f := range fields {
		if !seal.IsSealed(*f.Value) {
			plain[i] = *f.Value
			continue
		}
		if plain[i], err = seal.Open(*s.key, *f.Value, additionalData(e, f.Name)); err != nil {
			return loc, &SealedError{Backend: s.name, Cause: err}
		}
	}
	for i, f := range fields {
		*f.Value = plain[i]
	}
	return loc, nil
}
