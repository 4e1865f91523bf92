package tokencache

import "github.com/hello-cli/hello/internal/atomicfile"

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

func (atomicFiles) Prepare(path string, reserve int64) (Pending, error) {
	p, err := atomicfile.Prepare(path, reserve)
	if err != nil {
		return nil, err
	}
	return p, nil
}
