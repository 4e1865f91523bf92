package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Load reads the entry for k. It returns an error matching ErrNotFound when
// there is none, and a *CorruptError when the file exists but cannot be used.
func (s *Store) Load(k Key) (*Entry, error) {
	path := s.Path(k)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s (%s)", ErrNotFound, k.Issuer, path)
	}
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	if got := (Key{e.Issuer, e.ClientID, e.Audience}); got != k {
		// A hash collision is out of the question; this is a file copied or
		// edited by hand. Using it would send one client's token to another.
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("saved for issuer %q, client %q, audience %q", got.Issuer, got.ClientID, got.Audience)}
	}
	return &e, nil
}

// Save writes e as the entry for k, atomically. The key fields of the saved
// copy are set from k; SavedAt is set to now when zero. e is not modified.
func (s *Store) Save(k Key, e *Entry) error {
	if e == nil {
		return errors.New("token cache: save: nil entry")
	}
	c := *e
	c.Issuer, c.ClientID, c.Audience = k.Issuer, k.ClientID, k.Audience
	if c.SavedAt.IsZero() {
		c.SavedAt = time.Now().UTC()
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return fmt.Errorf("token cache: encode entry: %w", err)
	}
	if err := s.ensureDir(); err != nil {
		return err
	}
	if err := s.writeAtomic(s.Path(k), data); err != nil {
		return fmt.Errorf("token cache: save: %w", err)
	}
	return nil
}

// Delete removes the entry for k; a missing entry is not an error, so that
// logging out twice succeeds. The lock file is left alone on purpose:
// unlinking it while another process waits on it would let a third process
// lock a new file of the same name, and the two would no longer exclude each
// other.
func (s *Store) Delete(k Key) error {
	if err := os.Remove(s.Path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token cache: delete: %w", err)
	}
	return nil
}

// ensureDir creates the directory 0700, and tightens it when it already
// exists with looser permissions: the entries hold bearer credentials.
func (s *Store) ensureDir() error {
	if s.Dir == "" {
		return errors.New("token cache: no directory configured")
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("token cache: create directory: %w", err)
	}
	fi, err := os.Stat(s.Dir)
	if err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("token cache: %s is not a directory", s.Dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(s.Dir, 0o700); err != nil {
			return fmt.Errorf("token cache: restrict directory permissions: %w", err)
		}
	}
	return nil
}

// writeAtomic writes data to a temporary file in the same directory (so the
// rename cannot cross file systems), flushes it to disk, and renames it over
// path. Readers see the old file or the new one, never a mixture.
func (s *Store) writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	// CreateTemp opens the file 0600, so the secret is never world-readable.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// Explicit, in case the umask or a non-POSIX file system widened it.
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	rename := s.rename
	if rename == nil {
		rename = os.Rename
	}
	if err := rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename itself durable. Best effort: some platforms
// (Windows) cannot open a directory for syncing, and the data is already safe.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
