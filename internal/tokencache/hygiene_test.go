package tokencache

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hello-cli/hello/internal/atomicfile"
	"github.com/hello-cli/hello/internal/token"
)

func TestLooseEntryIsTightenedAndReportedOnce(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	var notes []string
	s.Notify = func(m string) { notes = append(notes, m) }
	if err := s.Save(testKey, testEntry()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Path(testKey), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.Load(testKey); err != nil {
			t.Fatal(err)
		}
	}
	assertPerm(t, s.Path(testKey), 0o600)
	if len(notes) != 1 || !strings.Contains(notes[0], "0644") || !strings.Contains(notes[0], s.Path(testKey)) {
		t.Errorf("notes = %q, want one naming the file and its old mode", notes)
	}
}

func TestOversizedEntryIsRefusedUnread(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	// A sparse 200 MB file: reading it whole would take 200 MB of memory.
	f, err := os.OpenFile(s.Path(testKey), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = s.Load(testKey)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "more than the 1048576") {
		t.Fatalf("Load = %v, want a corrupt entry over the size limit", err)
	}
}

func TestVersion1EntryIsRead(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	v1 := `{"issuer":"https://issuer.example.com/","client_id":"hello-cli","audience":"https://hello-world.example.com",
		"access_token":"a1","refresh_token":"r1","grant":"authorization_code","expiry":"2030-01-01T00:00:00Z"}`
	if err := os.WriteFile(s.Path(testKey), []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if e.Token.AccessToken != "a1" || e.Token.RefreshToken != "r1" || e.Token.Expiry.Year() != 2030 {
		t.Errorf("token = %+v", e.Token)
	}
}

// reverseCodec is a stand-in for a sealing codec: it stores the token JSON
// reversed, inside a JSON string.
type reverseCodec struct{ keys []Key }

func (c *reverseCodec) Encode(k Key, t token.Token) (json.RawMessage, error) {
	c.keys = append(c.keys, k)
	b, _ := json.Marshal(t)
	return json.Marshal(reverse(string(b)))
}

func (c *reverseCodec) Decode(k Key, raw json.RawMessage) (token.Token, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return token.Token{}, err
	}
	var t token.Token
	err := json.Unmarshal([]byte(reverse(s)), &t)
	return t, err
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func TestCodecIsTheOnlyWayTokensReachTheFile(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	c := &reverseCodec{}
	s.Codec = c
	if err := s.Save(testKey, testEntry()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(s.Path(testKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{`"access"`, `"refresh"`, `"id"`} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("file holds %s outside the codec:\n%s", secret, raw)
		}
	}
	got, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.RefreshToken != "refresh" || got.User != "alice@example.com" || len(c.keys) != 1 || c.keys[0] != testKey {
		t.Errorf("round trip through the codec: %+v, keys %v", got, c.keys)
	}
}

// failingFiles is a disk that refuses every new file.
type failingFiles struct{ err error }

func (f failingFiles) Prepare(string, int64) (Pending, error) { return nil, f.err }

func TestPrepareFailureNamesTheDirectoryAndKeepsTheEntry(t *testing.T) {
	t.Parallel()
	for _, errno := range []error{syscall.ENOSPC, syscall.EROFS} {
		t.Run(fmt.Sprint(errno), func(t *testing.T) {
			t.Parallel()
			s := New(t.TempDir())
			if err := s.Save(testKey, testEntry()); err != nil {
				t.Fatal(err)
			}
			s.Files = failingFiles{&os.PathError{Op: "open", Path: s.Dir + "/.x.tmp", Err: errno}}
			_, err := s.Prepare(testKey, testEntry())
			var se *SaveError
			if !errors.As(err, &se) || !errors.Is(err, errno) || !strings.Contains(err.Error(), s.Dir) {
				t.Fatalf("Prepare = %v, want a *SaveError naming %s", err, s.Dir)
			}
			if got, err := s.Load(testKey); err != nil || got.Token.RefreshToken != "refresh" {
				t.Errorf("entry after a failed prepare: %+v, %v", got, err)
			}
		})
	}
}

func TestReservationAbortLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := New(dir)
	r, err := s.Prepare(testKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Abort()
	assertOnlyEntries(t, dir)
	r, err = s.Prepare(testKey, testEntry())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(testEntry()); err != nil {
		t.Fatal(err)
	}
	r.Abort() // after Commit: harmless
	assertOnlyEntries(t, dir, fileName(s))
}

func fileName(s *Store) string {
	p := s.Path(testKey)
	return p[len(s.Dir)+1:]
}

func TestPrepareRemovesReservationsOfKilledProcesses(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	if err := s.Save(testKey, testEntry()); err != nil {
		t.Fatal(err)
	}
	// A process killed during a refresh leaves its reservation behind,
	// tens of KiB each time; one still in flight is young.
	if _, err := atomicfile.Prepare(s.Path(testKey), 64<<10); err != nil {
		t.Fatal(err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.Dir, ".*"))
	if len(leftovers) != 1 {
		t.Fatalf("leftovers = %v, want one", leftovers)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(leftovers[0], old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := atomicfile.Prepare(s.Path(testKey), 10); err != nil {
		t.Fatal(err)
	}
	young, _ := filepath.Glob(filepath.Join(s.Dir, ".*"))
	r, err := s.Prepare(testKey, testEntry())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(testEntry()); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(s.Dir, ".*"))
	if len(left) != 1 || len(young) != 2 || left[0] == leftovers[0] {
		t.Errorf("temporary files after a save: %v (before: %v); want only the young one kept", left, young)
	}
}
