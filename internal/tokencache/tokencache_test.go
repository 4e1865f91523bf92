package tokencache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hello-cli/hello/internal/token"
)

var testKey = Key{Issuer: "https://issuer.example.com/", ClientID: "hello-cli", Audience: "https://hello-world.example.com"}

func testEntry() *Entry {
	return &Entry{
		Token: token.Token{
			AccessToken:  "access",
			RefreshToken: "refresh",
			IDToken:      "id",
			TokenType:    "Bearer",
			Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
			IssuedAt:     time.Date(2030, 1, 2, 2, 4, 5, 0, time.UTC),
			Scopes:       []string{"openid", "profile"},
			Grant:        "authorization_code",
		},
		User:    "alice@example.com",
		SavedAt: time.Date(2029, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	s := New(filepath.Join(t.TempDir(), "hello"))
	in := testEntry()
	if err := s.Save(testKey, in); err != nil {
		t.Fatal(err)
	}
	if in.Issuer != "" {
		t.Error("Save modified the caller's entry")
	}
	assertPerm(t, s.Path(testKey), 0o600)
	got, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	want := testEntry()
	want.Issuer, want.ClientID, want.Audience = testKey.Issuer, testKey.ClientID, testKey.Audience
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}

	// Another key is another entry.
	other := testKey
	other.Audience = ""
	if _, err := s.Load(other); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load(other key) = %v, want ErrNotFound", err)
	}
	if s.Path(other) == s.Path(testKey) {
		t.Error("different keys share a path")
	}
}

func TestSaveSetsSavedAt(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	e := testEntry()
	e.SavedAt = time.Time{}
	before := time.Now()
	if err := s.Save(testKey, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.SavedAt.Before(before.Add(-time.Second)) || got.SavedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("SavedAt = %v, want about now", got.SavedAt)
	}
}

func TestLoadMissingDir(t *testing.T) {
	t.Parallel()
	s := New(filepath.Join(t.TempDir(), "does", "not", "exist"))
	if _, err := s.Load(testKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load = %v, want ErrNotFound", err)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
	}{
		{"created", func(string) error { return nil }},
		{"tightened", func(dir string) error { return os.Mkdir(dir, 0o755) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "hello")
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			if tc.name == "tightened" {
				// Mkdir is subject to the umask; make sure the test starts loose.
				if err := os.Chmod(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			s := New(dir)
			if err := s.Save(testKey, testEntry()); err != nil {
				t.Fatal(err)
			}
			assertPerm(t, dir, 0o700)
			assertPerm(t, s.Path(testKey), 0o600)
		})
	}
}

func assertPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

func TestSaveOverwritesAtomically(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := New(dir)
	for i, tok := range []string{"first", "second"} {
		e := testEntry()
		e.Token.AccessToken = tok
		if err := s.Save(testKey, e); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
	}
	got, err := s.Load(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.AccessToken != "second" {
		t.Errorf("AccessToken = %q, want second", got.Token.AccessToken)
	}
	assertOnlyEntries(t, dir, filepath.Base(s.Path(testKey)))
}

// assertOnlyEntries fails when dir holds anything but the named files, such
// as a temporary file left behind by Save.
func assertOnlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, de := range des {
		got = append(got, de.Name())
	}
	if diff := cmp.Diff(names, got); diff != "" {
		t.Errorf("directory contents (-want +got):\n%s", diff)
	}
}

func TestLoadCorrupt(t *testing.T) {
	t.Parallel()
	other := testEntry()
	other.Issuer, other.ClientID = "https://evil.example.com/", "hello-cli"
	for _, tc := range []struct {
		name  string
		write func(path string) error
		want  string
	}{
		{"truncated", writeString("{\"access_token\": \"abc"), "invalid JSON"},
		{"empty", writeString(""), "invalid JSON"},
		{"not an object", writeString("[1,2,3]"), "invalid JSON"},
		{"wrong key", writeString(`{"issuer":"https://evil.example.com/","client_id":"hello-cli","access_token":"x"}`), "saved for issuer"},
		{"a directory", func(path string) error { return os.Mkdir(path, 0o700) }, "is a directory"},
		{"bad token fields", writeString(`{"issuer":"https://issuer.example.com/","client_id":"hello-cli","audience":"https://hello-world.example.com","token":[1]}`), "invalid token fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(t.TempDir())
			if err := tc.write(s.Path(testKey)); err != nil {
				t.Fatal(err)
			}
			e, err := s.Load(testKey)
			if e != nil {
				t.Errorf("Load returned an entry: %+v", e)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want *CorruptError", err)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Error("errors.Is(err, ErrCorrupt) = false")
			}
			if ce.Path != s.Path(testKey) || !strings.Contains(err.Error(), s.Path(testKey)) {
				t.Errorf("error %q does not name the file %s", err, s.Path(testKey))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if ce.Unwrap() == nil {
				t.Error("CorruptError does not wrap its cause")
			}
		})
	}
}

func writeString(s string) func(string) error {
	return func(path string) error { return os.WriteFile(path, []byte(s), 0o600) }
}

func TestDeleteIdempotent(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	if err := s.Save(testKey, testEntry()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Delete(testKey); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := s.Load(testKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load after Delete = %v, want ErrNotFound", err)
	}
	// Deleting in a directory that was never created is fine too.
	if err := New(filepath.Join(t.TempDir(), "nope")).Delete(testKey); err != nil {
		t.Errorf("Delete in missing dir: %v", err)
	}
}

func TestDefaultDir(t *testing.T) {
	// Not parallel: t.Setenv.
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	got, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(xdg, "hello"); got != want {
		t.Errorf("DefaultDir = %q, want %q", got, want)
	}

	// Unset, the platform's cache directory is used.
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", xdg)
	got, err = DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(got) || filepath.Base(got) != "hello" {
		t.Errorf("DefaultDir = %q, want an absolute .../hello", got)
	}
}
