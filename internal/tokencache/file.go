package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// fileEntry is an entry as written on disk.
type fileEntry struct {
	Version  int             `json:"version"`
	Issuer   string          `json:"issuer"`
	ClientID string          `json:"client_id"`
	Audience string          `json:"audience,omitempty"`
	User     string          `json:"user,omitempty"`
	Dead     bool            `json:"dead,omitempty"`
	SavedAt  time.Time       `json:"saved_at"`
	Token    json.RawMessage `json:"token,omitempty"`
}

const fileVersion = 2

// minReserve is the space a save reserves at least: several times a real
// entry, so that a token that grew does not run out of room at commit.
const minReserve = 64 << 10

// Load reads the entry for k. It returns an error matching ErrNotFound when
// there is none, and a *CorruptError when the file exists but cannot be
// used. An entry readable by others is tightened to 0600 first (Notify is
// told), and one over MaxEntrySize is refused without being read.
func (s *Store) Load(k Key) (*Entry, error) {
	path := s.Path(k)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s (%s)", ErrNotFound, k.Issuer, path)
	}
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, &CorruptError{Path: path, Err: err}
	case fi.IsDir():
		return nil, &CorruptError{Path: path, Err: errors.New("it is a directory")}
	case !fi.Mode().IsRegular():
		return nil, &CorruptError{Path: path, Err: errors.New("it is not a regular file")}
	case fi.Size() > MaxEntrySize:
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("it is %d bytes, more than the %d an entry may have", fi.Size(), MaxEntrySize)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		// Chmod on the open file: the check and the repair concern the
		// same inode even if the name is replaced meanwhile.
		if err := f.Chmod(0o600); err != nil {
			return nil, &CorruptError{Path: path, Err: fmt.Errorf("it is readable by others (mode %04o) and could not be made private: %w", perm, err)}
		}
		s.notify("the token cache entry %s was readable by others (mode %04o); it is now private (0600)", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxEntrySize+1))
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if len(data) > MaxEntrySize {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("it is more than %d bytes", MaxEntrySize)}
	}
	return s.decode(k, path, data)
}

func (s *Store) decode(k Key, path string, data []byte) (*Entry, error) {
	var fe fileEntry
	if err := json.Unmarshal(data, &fe); err != nil {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("invalid JSON: %w", err)}
	}
	if got := (Key{fe.Issuer, fe.ClientID, fe.Audience}); got != k {
		// A hash collision is out of the question; this is a file copied or
		// edited by hand. Using it would send one client's token to another.
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("saved for issuer %q, client %q, audience %q", got.Issuer, got.ClientID, got.Audience)}
	}
	e := &Entry{Issuer: fe.Issuer, ClientID: fe.ClientID, Audience: fe.Audience, User: fe.User, Dead: fe.Dead, SavedAt: fe.SavedAt}
	var err error
	if len(fe.Token) == 0 {
		// Version 1 kept the token fields at the top level, under the
		// names token.Token still uses.
		err = json.Unmarshal(data, &e.Token)
	} else {
		e.Token, err = s.codec().Decode(k, fe.Token)
	}
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return e, nil
}

func (s *Store) encode(k Key, e *Entry) ([]byte, error) {
	raw, err := s.codec().Encode(k, e.Token)
	if err != nil {
		return nil, fmt.Errorf("token cache: encode entry: %w", err)
	}
	saved := e.SavedAt
	if saved.IsZero() {
		saved = s.now().UTC()
	}
	fe := fileEntry{Version: fileVersion, Issuer: k.Issuer, ClientID: k.ClientID, Audience: k.Audience,
		User: e.User, Dead: e.Dead, SavedAt: saved, Token: raw}
	data, err := json.MarshalIndent(&fe, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("token cache: encode entry: %w", err)
	}
	return data, nil
}

// Reservation is a save made certain before it happens: the temporary file
// exists and its space is allocated. Commit it or Abort it.
type Reservation struct {
	s       *Store
	k       Key
	pending Pending
}

// Prepare reserves the save of k's entry: it creates the temporary file in
// the cache directory and allocates room for an entry several times the size
// of current (which may be nil). A read-only directory or a full disk fails
// here, with a *SaveError naming the directory, before the caller spends a
// refresh token whose successor could not be saved.
func (s *Store) Prepare(k Key, current *Entry) (*Reservation, error) {
	if err := s.ensureDir(); err != nil {
		return nil, &SaveError{Dir: s.Dir, Err: err}
	}
	reserve := int64(minReserve)
	if current != nil {
		// Encoding the current entry also proves the codec can encode its
		// successor: a sealing codec that cannot reach its key must fail
		// here, before the refresh token is spent, not at Commit.
		data, err := s.encode(k, current)
		if err != nil {
			return nil, err
		}
		reserve = max(reserve, 4*int64(len(data)))
	}
	p, err := s.files().Prepare(s.Path(k), reserve)
	if err != nil {
		return nil, &SaveError{Dir: s.Dir, Err: err}
	}
	return &Reservation{s: s, k: k, pending: p}, nil
}

// Commit writes e over the reserved space and renames it into place. On
// error the old entry is untouched.
func (r *Reservation) Commit(e *Entry) error {
	data, err := r.s.encode(r.k, e)
	if err != nil {
		r.pending.Abort()
		return err
	}
	if err := r.pending.Commit(data); err != nil {
		return &SaveError{Dir: r.s.Dir, Err: err}
	}
	return nil
}

// Abort drops the reservation; safe after Commit.
func (r *Reservation) Abort() { r.pending.Abort() }

// Save writes e as the entry for k, atomically. The key fields of the saved
// copy are set from k; SavedAt is set to now when zero. e is not modified.
func (s *Store) Save(k Key, e *Entry) error {
	if e == nil {
		return errors.New("token cache: save: nil entry")
	}
	r, err := s.Prepare(k, nil)
	if err != nil {
		return err
	}
	return r.Commit(e)
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
