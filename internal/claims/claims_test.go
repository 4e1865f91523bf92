package claims

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
)

func sign(t *testing.T, c map[string]any) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestUnverified(t *testing.T) {
	t.Parallel()
	raw := sign(t, map[string]any{"sub": "u1", "aud": []string{"a", "b"}, "permissions": []string{"read:admin-messages"}, "name": "Alice"})
	c, err := Unverified(raw)
	if err != nil {
		t.Fatal(err)
	}
	if String(c, "sub") != "u1" || String(c, "missing") != "" {
		t.Errorf("String: %v", c)
	}
	if diff := cmp.Diff([]string{"a", "b"}, Strings(c, "aud")); diff != "" {
		t.Errorf("Strings(aud): %s", diff)
	}
	if diff := cmp.Diff([]string{"u1"}, Strings(c, "sub")); diff != "" {
		t.Errorf("Strings(sub): %s", diff)
	}
	if Strings(c, "nothing") != nil {
		t.Error("Strings of a missing claim is not nil")
	}
}

func TestUnverifiedRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "opaque-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30."} {
		if _, err := Unverified(raw); err == nil {
			t.Errorf("Unverified(%q) succeeded", raw)
		}
	}
}

func FuzzUnverified(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := Unverified(raw)
		if err == nil {
			_ = Strings(c, "aud")
			_ = String(c, "sub")
		}
	})
}
