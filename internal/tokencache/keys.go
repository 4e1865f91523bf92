package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Keys lists the keys of every entry in the store's directory, for
// `hello status --all` and `hello logout --all`: each is then read with
// Load, so listing never bypasses its checks. A file that is not an entry,
// or whose key cannot be read, is left out; Load reports it when asked.
func (s *Store) Keys() ([]Key, error) {
	paths, err := filepath.Glob(filepath.Join(s.Dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list the token cache: %w", err)
	}
	var out []Key
	for _, p := range paths {
		k, err := readKey(p)
		if err != nil || s.Path(k) != p {
			continue
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Key) int {
		if c := compare(a.Issuer, b.Issuer); c != 0 {
			return c
		}
		if c := compare(a.ClientID, b.ClientID); c != 0 {
			return c
		}
		return compare(a.Audience, b.Audience)
	})
	return out, nil
}

// readKey reads only the key fields of an entry, never more than an entry
// may hold.
func readKey(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() > MaxEntrySize {
		return Key{}, errors.Join(fs.ErrInvalid, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxEntrySize))
	if err != nil {
		return Key{}, err
	}
	var fe fileEntry
	if err := json.Unmarshal(data, &fe); err != nil {
		return Key{}, err
	}
	return Key{fe.Issuer, fe.ClientID, fe.Audience}, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
