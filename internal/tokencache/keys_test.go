package tokencache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hello-cli/hello/internal/token"
)

func TestKeys(t *testing.T) {
	t.Parallel()
	s := New(t.TempDir())
	if ks, err := s.Keys(); err != nil || len(ks) != 0 {
		t.Fatalf("empty store: %v, %v", ks, err)
	}
	a := Key{Issuer: "https://b.example.com/", ClientID: "cli", Audience: "api"}
	b := Key{Issuer: "https://a.example.com/", ClientID: "cli"}
	for _, k := range []Key{a, b} {
		if err := s.Save(k, &Entry{Token: token.Token{AccessToken: "t", Grant: token.GrantAuthorizationCode}}); err != nil {
			t.Fatal(err)
		}
	}
	// Neither a file that is no entry nor an entry copied under another
	// key's name is listed.
	if err := os.WriteFile(filepath.Join(s.Dir, "junk.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.Path(a))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "copy.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := s.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Key{b, a}, ks); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
}
