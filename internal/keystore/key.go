package keystore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/internal/seal"
)

var (
	// ErrKeyMissing means the keyring answered but holds no key for this
	// cache directory: none was made yet, or it was deleted.
	ErrKeyMissing = errors.New("no token key in the keyring")
	// ErrKeyUnusable means the keyring's item is not a key hello made.
	ErrKeyUnusable = errors.New("the token key in the keyring is unusable")
)

// keyLockFile serialises making and removing the key among processes, so
// that two first logins at once cannot each store a key and leave one of
// them sealing with a key the keyring no longer holds.
const keyLockFile = "keyring-key.lock"

// keyLockTimeout bounds the wait for another process making or removing
// the key: each holds the lock for at most two keyring calls.
const keyLockTimeout = 3 * DefaultTimeout

// keyAccount is the keyring item's account: one key per cache directory.
func (s *Store) keyAccount() string {
	dir := s.cfg.Dir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return "token key for " + dir
}

func (s *Store) lockKey(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("token key lock: %w", err)
	}
	fl := flock.New(filepath.Join(s.cfg.Dir, keyLockFile), flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, keyLockTimeout)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 25*time.Millisecond)
	if !ok {
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("token key lock %s: another hello process holds it: %w", fl.Path(), err)
	}
	return func() { _ = fl.Unlock() }, nil
}

// keyForSeal returns the key, making and storing one on first use. Call
// with s.mu held, after Resolve chose the keyring.
func (s *Store) keyForSeal(ctx context.Context) (seal.Key, error) {
	if s.key != nil {
		return *s.key, nil
	}
	unlock, err := s.lockKey(ctx)
	if err != nil {
		return seal.Key{}, err
	}
	defer unlock()
	// Another process may have made the key since this one read it.
	v, err := s.kr.get(ctx, service, s.keyAccount())
	if err == nil {
		if k, derr := seal.DecodeKey(v); derr == nil {
			s.key, s.keyErr = &k, nil
			return k, nil
		}
		// Not a key of ours: nothing can be sealed under it, so it is
		// replaced rather than kept.
	} else if !errors.Is(err, gokeyring.ErrNotFound) {
		return seal.Key{}, fmt.Errorf("read the token key from the %s: %w", s.name, err)
	}
	k, err := seal.NewKey()
	if err != nil {
		return seal.Key{}, err
	}
	if err := s.kr.set(ctx, service, s.keyAccount(), k.Encode()); err != nil {
		return seal.Key{}, fmt.Errorf("store the token key in the %s: %w", s.name, err)
	}
	s.key, s.keyErr = &k, nil
	return k, nil
}

// ForgetKeyIfUnused removes the key from the keyring when no file in the
// cache directory holds a value sealed with it any more: logout calls it
// after deleting its entry. It reports whether a key was removed. File
// mode, and auto mode without a keyring, leave the keyring alone.
func (s *Store) ForgetKeyIfUnused(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Mode == File {
		return false, nil
	}
	loc, err := s.resolveLocked(ctx)
	if err != nil || !loc.Keyring {
		return false, err
	}
	if s.key == nil && errors.Is(s.keyErr, ErrKeyMissing) {
		return false, nil
	}
	unlock, err := s.lockKey(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	if s.key != nil {
		used, err := s.keyInUse(*s.key)
		if err != nil || used {
			return false, err
		}
	}
	err = s.kr.delete(ctx, service, s.keyAccount())
	if err != nil && !errors.Is(err, gokeyring.ErrNotFound) {
		return false, fmt.Errorf("remove the token key from the %s: %w", s.name, err)
	}
	s.key, s.keyErr = nil, ErrKeyMissing
	return err == nil, nil
}

// maxScan is the size above which a file cannot be a cache entry.
const maxScan = 1 << 20

// keyInUse reports whether a file of the cache directory holds a value
// sealed with k. Every regular file is looked at, temporary ones of a save
// in flight included: keeping a key too long costs nothing, removing it
// too early logs a session out.
func (s *Store) keyInUse(k seal.Key) (bool, error) {
	dirents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return false, fmt.Errorf("look for sessions sealed with the token key: %w", err)
	}
	mark := []byte(seal.Prefix(k))
	for _, d := range dirents {
		name := d.Name()
		if !d.Type().IsRegular() || name == memoFile || strings.HasSuffix(name, ".lock") {
			continue
		}
		if fi, err := d.Info(); err == nil && fi.Size() > maxScan {
			continue // larger than any entry hello reads: not a usable session
		}
		data, err := os.ReadFile(filepath.Join(s.cfg.Dir, name))
		if err != nil {
			return true, nil // unreadable: assume it is a sealed session
		}
		if bytes.Contains(data, mark) {
			return true, nil
		}
	}
	return false, nil
}
