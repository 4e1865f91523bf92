package seal

import (
	"errors"
	"strings"
	"testing"
)

func mustKey(t testing.TB) Key {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	ad := []byte("issuer\x00client\x00access_token")
	for _, plain := range []string{"opaque-8f2c91d0", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", strings.Repeat("r", 4096)} {
		s, err := Seal(k, plain, ad)
		if err != nil {
			t.Fatal(err)
		}
		if !IsSealed(s) || strings.Contains(s, plain) {
			t.Fatalf("Seal(%.10q) = %.40q: not sealed, or the plaintext shows", plain, s)
		}
		if !strings.HasPrefix(s, Prefix(k)) {
			t.Errorf("Seal(%.10q) = %.40q, want it to begin with Prefix(k) %q", plain, s, Prefix(k))
		}
		got, err := Open(k, s, ad)
		if err != nil || got != plain {
			t.Fatalf("Open = %.10q, %v; want the plaintext back", got, err)
		}
	}
}

func TestSealUsesAFreshNonce(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	a, _ := Seal(k, "same token", nil)
	b, _ := Seal(k, "same token", nil)
	if a == b {
		t.Fatal("two seals of the same value are identical: the nonce is not random")
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	k, other := mustKey(t), mustKey(t)
	ad := []byte("entry A\x00refresh_token")
	s, err := Seal(k, "refresh-token-value", ad)
	if err != nil {
		t.Fatal(err)
	}
	// Flip one character in the middle of the ciphertext.
	i := len(s) - 10
	flipped := s[:i] + string(s[i]^1) + s[i+1:]
	// The same ciphertext presented with the other key's id.
	relabelled := strings.Replace(s, k.ID(), other.ID(), 1)
	tests := []struct {
		name   string
		key    Key
		value  string
		ad     []byte
		target error
	}{
		{"another entry's additional data", k, s, []byte("entry B\x00refresh_token"), ErrTampered},
		{"another field", k, s, []byte("entry A\x00access_token"), ErrTampered},
		{"another key", other, s, ad, ErrWrongKey},
		{"another key under a forged id", other, relabelled, ad, ErrTampered},
		{"a flipped byte", k, flipped, ad, ErrTampered},
		{"truncated", k, s[:len(prefix)+len(k.ID())+5], ad, ErrTampered},
		{"no key id separator", k, prefix + "abc", ad, ErrTampered},
		{"not base64", k, prefix + k.ID() + ":!!!", ad, ErrTampered},
		{"a plain token", k, "eyJhbGciOi.e30.sig", ad, ErrNotSealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Open(tt.key, tt.value, tt.ad)
			if !errors.Is(err, tt.target) || got != "" {
				t.Errorf("Open = %q, %v; want %v", got, err, tt.target)
			}
		})
	}
}

func TestEmptyStaysEmpty(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	if s, err := Seal(k, "", nil); s != "" || err != nil {
		t.Errorf(`Seal("") = %q, %v`, s, err)
	}
	if s, err := Open(k, "", nil); s != "" || err != nil {
		t.Errorf(`Open("") = %q, %v`, s, err)
	}
}

func TestKeyEncoding(t *testing.T) {
	t.Parallel()
	k := mustKey(t)
	got, err := DecodeKey(k.Encode())
	if err != nil || got != k {
		t.Fatalf("DecodeKey(Encode()) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "c2hvcnQ=", "not base64!", k.Encode() + "AAAA"} {
		if _, err := DecodeKey(bad); err == nil {
			t.Errorf("DecodeKey(%q) accepted a bad key", bad)
		}
	}
	if strings.Contains(k.String(), k.Encode()) {
		t.Error("String() shows the key")
	}
}

// FuzzOpen feeds Open arbitrary text, as a hand-edited cache file would:
// it must refuse, never panic, and never return plaintext for a value it
// did not seal.
//
//	go test -run '^$' -fuzz FuzzOpen ./internal/seal/
func FuzzOpen(f *testing.F) {
	k := Key{1, 2, 3}
	good, _ := Seal(k, "token", []byte("ad"))
	f.Add(good)
	f.Add(prefix)
	f.Add(prefix + k.ID() + ":")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Open(k, s, []byte("ad"))
		// Under k and "ad" only "token" was ever sealed (here or in an
		// earlier run's corpus), so nothing else may open.
		if err == nil && s != "" && got != "token" {
			t.Fatalf("Open(%q) = %q without error", s, got)
		}
	})
}
