// Package atomicfile replaces files so that a reader sees the old content or
// the new, never a mixture, and so that a writer can find out that a write
// would fail before it does anything it cannot undo.
//
// Both halves of hello use it: the token cache (where a refresh token must
// not be spent unless its successor can be saved) and the sandbox's state
// directory.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Pending is a temporary file created beside its target, with room already
// reserved for the content. Commit it or Abort it.
type Pending struct {
	path string
	f    *os.File
	done bool
}

// Prepare creates a temporary file, mode 0600, in the directory of path (so
// the final rename cannot cross file systems) and reserves reserve bytes in
// it, flushed to disk: a read-only directory or a full disk fails here, before
// the caller commits to anything. The directory must exist.
func Prepare(path string, reserve int64) (*Pending, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return nil, err
	}
	p := &Pending{path: path, f: f}
	// Explicit, in case the umask or a non-POSIX file system widened it.
	if err := f.Chmod(0o600); err != nil {
		p.Abort()
		return nil, err
	}
	if reserve > 0 {
		if err := reserveSpace(f, reserve); err != nil {
			p.Abort()
			return nil, fmt.Errorf("reserve %d bytes in %s: %w", reserve, dir, err)
		}
	}
	return p, nil
}

// tempPattern names the temporary files of path, for os.CreateTemp.
func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

// RemoveStale removes temporary files of path older than age: those of a
// process killed between Prepare and Commit, which would otherwise keep
// their reserved space for ever. A temporary file younger than age may
// belong to a write still in progress and is left alone. Best effort.
func RemoveStale(path string, age time.Duration, now time.Time) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(path)))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && now.Sub(fi.ModTime()) > age {
			_ = os.Remove(m)
		}
	}
}

// reserveSpace writes real zero bytes (not a sparse hole) and syncs them, so
// the blocks are allocated and a later overwrite of them cannot run out of space.
func reserveSpace(f *os.File, n int64) error {
	zeros := make([]byte, min(n, 64<<10))
	for left := n; left > 0; {
		k, err := f.Write(zeros[:min(left, int64(len(zeros)))])
		if err != nil {
			return err
		}
		left -= int64(k)
	}
	return f.Sync()
}

// Commit writes data over the reserved space, flushes it, and renames the
// temporary file over the target. On error the target is untouched and the
// temporary file is removed.
func (p *Pending) Commit(data []byte) (err error) {
	if p.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	defer func() {
		if err != nil {
			p.Abort()
		}
	}()
	if _, err := p.f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := p.f.Truncate(int64(len(data))); err != nil {
		return err
	}
	if err := p.f.Sync(); err != nil {
		return err
	}
	if err := p.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(p.f.Name(), p.path); err != nil {
		return err
	}
	p.done = true
	syncDir(filepath.Dir(p.path))
	return nil
}

// Abort removes the temporary file. It is safe to call more than once, and
// after Commit (then it does nothing).
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	_ = p.f.Close()
	_ = os.Remove(p.f.Name())
}

// Write replaces path with data atomically, mode 0600.
func Write(path string, data []byte) error {
	p, err := Prepare(path, 0)
	if err != nil {
		return err
	}
	return p.Commit(data)
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
