package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/hello-cli/hello/internal/atomicfile"
)

// lockFile is the cross-process lock guarding read-modify-write of the
// state directory: several sandboxes may share one.
const lockFile = ".lock"

// stateDir is the directory where the signing key and signed-up users
// persist. Files are replaced atomically, so a crash never leaves half a
// file behind.
type stateDir struct {
	path string
}

func (d *stateDir) file(name string) string { return filepath.Join(d.path, name) }

// withLock runs fn holding the directory's cross-process lock, so that two
// sandboxes sharing the directory do not both create a signing key or
// overwrite each other's sign-ups. fn must re-read what it modifies.
func (d *stateDir) withLock(ctx context.Context, fn func() error) (err error) {
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	l := flock.New(d.file(lockFile))
	locked, err := l.TryLockContext(ctx, 10*time.Millisecond)
	if err != nil {
		return fmt.Errorf("lock state directory: %w", err)
	}
	if !locked {
		return fmt.Errorf("lock state directory: %w", context.Cause(ctx))
	}
	defer func() {
		if uerr := l.Unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("unlock state directory: %w", uerr)
		}
	}()
	return fn()
}

// stat returns the file's modification time and size, to notice changes
// made by another process; zero values when it does not exist.
func (d *stateDir) stat(name string) (time.Time, int64) {
	fi, err := os.Stat(d.file(name))
	if err != nil {
		return time.Time{}, 0
	}
	return fi.ModTime(), fi.Size()
}

// read returns the file's content, or nil and no error when it does not exist.
func (d *stateDir) read(name string) ([]byte, error) {
	data, err := os.ReadFile(d.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return data, nil
}

// write replaces the file atomically (see package atomicfile): directory
// 0700, file 0600.
func (d *stateDir) write(name string, data []byte) error {
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	if err := atomicfile.Write(d.file(name), data); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}
