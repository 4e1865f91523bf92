// Package tokencache stores one OAuth 2.0 / OpenID Connect session per
// (issuer, client ID, audience) on disk, shared by every hello command and
// every hello process.
//
// Entries are small JSON files in a private directory (0700, files 0600).
// Writes go to a temporary file that is renamed into place, so a crash never
// leaves half an entry. Refreshing a session must happen under Store.Lock,
// a cross-process lock held on a separate lock file: with refresh-token
// rotation, two processes refreshing at once would make the provider revoke
// the whole token family and log the user out.
package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DefaultLockTimeout is how long Lock waits for another process by default:
// longer than a renewal may take while holding the lock (20 seconds in
// package session), so that waiters do not give up on a slow provider.
const DefaultLockTimeout = 30 * time.Second

var (
	// ErrNotFound is returned by Load when no entry exists for the key.
	ErrNotFound = errors.New("no cached session")
	// ErrCorrupt is matched (errors.Is) by every *CorruptError.
	ErrCorrupt = errors.New("token cache entry is corrupt")
	// ErrLockTimeout is returned by Lock when the lock could not be taken in time.
	ErrLockTimeout = errors.New("timed out waiting for the token cache lock")
)

// CorruptError reports an entry that exists but cannot be used: unreadable,
// not valid JSON, or saved for another key. Callers treat it as "logged out"
// and should tell the user; it is never a reason to crash.
type CorruptError struct {
	Path string // the entry file
	Err  error  // the underlying cause
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("token cache entry %s is unusable (treated as logged out): %v", e.Path, e.Err)
}

// Unwrap returns the cause, so errors.Is(err, fs.ErrPermission) and the like work.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true for every *CorruptError.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Key identifies a session. The same user may hold sessions for several
// providers, clients or APIs at once; each gets its own entry.
type Key struct {
	Issuer, ClientID, Audience string
}

// Entry is one cached session.
type Entry struct {
	// The key fields are copied in by Save so that `hello status` can show
	// them, and so that Load can detect a file that does not belong to the key.
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	Audience string `json:"audience,omitempty"`

	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry"`
	Scopes       []string  `json:"scopes,omitempty"`
	Grant        string    `json:"grant"` // "authorization_code", "device_code" or "client_credentials"
	SavedAt      time.Time `json:"saved_at"`
}

// Valid reports whether the access token is present and will not expire
// within margin of now. The margin absorbs clock skew and the time the
// request takes to reach the API. A zero Expiry means the provider gave no
// lifetime; like golang.org/x/oauth2 it is taken as not expiring (an API that
// rejects the token with 401 still triggers a refresh).
func (e *Entry) Valid(now time.Time, margin time.Duration) bool {
	if e == nil || e.AccessToken == "" {
		return false
	}
	if e.Expiry.IsZero() {
		return true
	}
	return now.Add(margin).Before(e.Expiry)
}

// Store is a directory of entries.
type Store struct {
	Dir         string        // created 0700 on first Save or Lock
	LockTimeout time.Duration // zero means DefaultLockTimeout

	// rename is os.Rename; tests replace it to simulate a failed rename.
	rename func(oldpath, newpath string) error
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
