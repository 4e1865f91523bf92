// Package tokencache stores one OAuth 2.0 / OpenID Connect session per
// (issuer, client ID, audience) on disk, shared by every hello command and
// every hello process.
//
// Entries are small JSON files in a private directory (0700, files 0600).
// Writes go through package atomicfile: the temporary file of a save is
// created, and its space reserved, before the caller does anything it cannot
// undo (Store.Prepare), then renamed into place (Reservation.Commit). A crash
// never leaves half an entry. Refreshing a session must happen under
// Store.Lock, a cross-process lock held on a separate lock file: with
// refresh-token rotation, two processes refreshing at once would make the
// provider revoke the whole token family and log the user out.
//
// The token fields of an entry pass through one Codec on their way to and
// from the file, so that they can be sealed (encrypted) without touching
// the rest of the store.
package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hello-cli/hello/internal/token"
)

// DefaultLockTimeout is how long Lock waits for another process by default:
// longer than a renewal may take while holding the lock (20 seconds in
// package session), so that waiters do not give up on a slow provider.
const DefaultLockTimeout = 30 * time.Second

// MaxEntrySize is the largest entry Load reads. Real entries are a few KiB;
// anything bigger is not ours and is refused without being read whole.
const MaxEntrySize = 1 << 20

var (
	// ErrNotFound is returned by Load when no entry exists for the key.
	ErrNotFound = errors.New("no cached session")
	// ErrCorrupt is matched (errors.Is) by every *CorruptError.
	ErrCorrupt = errors.New("token cache entry is corrupt")
	// ErrLockTimeout is returned by Lock when the lock could not be taken in time.
	ErrLockTimeout = errors.New("timed out waiting for the token cache lock")
)

// CorruptError reports an entry that exists but cannot be used: unreadable,
// too big, not valid JSON, or saved for another key. Callers treat it as
// "logged out"; it is never a reason to crash.
type CorruptError struct {
	Path string // the entry file
	Err  error  // the underlying cause
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("token cache entry %s is unusable: %v", e.Path, e.Err)
}

// Unwrap returns the cause, so errors.Is(err, fs.ErrPermission) and the like work.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true for every *CorruptError.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// SaveError reports that an entry could not be written. When it comes from
// Prepare, nothing was spent: the caller stops, and the session on disk is
// the one it was.
type SaveError struct {
	Dir string
	Err error
}

func (e *SaveError) Error() string {
	return fmt.Sprintf("cannot write the token cache in %s, so the session was left as it was: make the directory writable or free some space, then try again (%v)", e.Dir, e.Err)
}

func (e *SaveError) Unwrap() error { return e.Err }

// Key identifies a session. The same user may hold sessions for several
// providers, clients or APIs at once; each gets its own entry.
type Key struct {
	Issuer, ClientID, Audience string
}

// Entry is one cached session.
type Entry struct {
	// The key fields are copied in by the store so that `hello status` can
	// show them, and so that Load can detect a file that does not belong to
	// the key.
	Issuer, ClientID, Audience string

	Token token.Token
	// User names who logged in, for people ("alice@example.com (Alice)").
	// It is kept outside Token so that a dead entry still says who it was.
	User string
	// Dead means the provider refused the refresh token (invalid_grant):
	// the entry is kept only to say who was logged in, and every command
	// reports the session as expired or revoked until the next login.
	Dead    bool
	SavedAt time.Time
}

// Store is a directory of entries.
type Store struct {
	Dir         string        // created 0700 on first save or lock
	LockTimeout time.Duration // zero means DefaultLockTimeout
	// Codec turns token fields into what is stored; nil means Plain.
	Codec Codec
	// Files is the file layer; nil means package atomicfile. Tests inject
	// a full or read-only disk here.
	Files Files
	// Notify hears of repairs worth telling the user once, such as an
	// entry whose permissions were tightened; nil discards them.
	Notify func(msg string)
	// Now stamps SavedAt; nil means time.Now.
	Now func() time.Time

	// onWait, for tests, runs when Lock found the lock held and starts
	// waiting: the one moment a test can know a waiter is blocked.
	onWait func()
	// expire, for tests, replaces time.After for the timer that ends
	// Lock's wait after LockTimeout, so a test decides when the wait has
	// lasted long enough instead of timing it.
	expire func(time.Duration) <-chan time.Time
}

// New returns a Store rooted at dir.
func New(dir string) *Store {
	return &Store{Dir: dir, LockTimeout: DefaultLockTimeout}
}

// DefaultDir is $XDG_CACHE_HOME/hello, else os.UserCacheDir()/hello.
// A cache directory (not the config directory) because the entries are
// machine state that can be thrown away at the cost of logging in again.
func DefaultDir() (string, error) {
	// Checked here as well because os.UserCacheDir ignores it on macOS and
	// Windows, while the spec promises $XDG_CACHE_HOME everywhere. A relative
	// value is left to os.UserCacheDir, which rejects it with a clear error.
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "hello"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("token cache directory: %w", err)
	}
	return filepath.Join(d, "hello"), nil
}

// Path is the entry file for k. The name is a hash so that URLs (with
// slashes and colons) never reach the file system and names stay short.
func (s *Store) Path(k Key) string {
	sum := sha256.Sum256([]byte(k.Issuer + "\x00" + k.ClientID + "\x00" + k.Audience))
	return filepath.Join(s.Dir, hex.EncodeToString(sum[:16])+".json")
}

// lockPath is the lock file for k: a separate file, because locking the
// entry itself breaks when the entry is replaced by rename (the lock stays on
// the old inode) and on Windows, where a locked file cannot be renamed over.
func (s *Store) lockPath(k Key) string { return s.Path(k) + ".lock" }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) codec() Codec {
	if s.Codec != nil {
		return s.Codec
	}
	return Plain{}
}

func (s *Store) files() Files {
	if s.Files != nil {
		return s.Files
	}
	return atomicFiles{}
}

func (s *Store) notify(format string, a ...any) {
	if s.Notify != nil {
		s.Notify(fmt.Sprintf(format, a...))
	}
}
