package tokencache

import (
	"time"

	"github.com/hello-cli/hello/internal/atomicfile"
)

// Files is the file layer under a Store: how an entry is replaced.
type Files interface {
	// Prepare creates the temporary file for a later replacement of path,
	// with reserve bytes already allocated, and fails if it cannot.
	Prepare(path string, reserve int64) (Pending, error)
}

// Pending is a prepared replacement: Commit it or Abort it.
type Pending interface {
	Commit(data []byte) error
	Abort()
}

type atomicFiles struct{}

// staleReservation is the age past which a temporary entry file is a
// killed process's: a live one lasts as long as a renewal under the lock.
const staleReservation = 10 * time.Minute

func (atomicFiles) Prepare(path string, reserve int64) (Pending, error) {
	// File times are the file system's, so the real clock judges them.
	atomicfile.RemoveStale(path, staleReservation, time.Now())
	p, err := atomicfile.Prepare(path, reserve)
	if err != nil {
		return nil, err
	}
	return p, nil
}
