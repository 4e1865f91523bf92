package store

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/urlpolicy"
)

func TestIsLoopbackCallback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri  string
		path string
		want bool
	}{
		{"http://localhost:4040/callback", "/callback", true},
		{"http://127.0.0.1:1/callback", "/callback", true},
		{"http://[::1]:65535/callback", "/callback", true},
		{"http://localhost:4040/", "/", true},
		{"http://[::1]:8080/", "/", true},
		{"http://localhost:4040", "/", false},
		{"http://localhost:0/callback", "/callback", false},
		{"http://localhost:65536/callback", "/callback", false},
		{"http://localhost:04040/callback", "/callback", false},
		{"http://localhost:/callback", "/callback", false},
		{"http://localhost/callback", "/callback", false},
		{"https://localhost:4040/callback", "/callback", false},
		{"http://LOCALHOST:4040/callback", "/callback", false},
		{"http://127.0.0.2:4040/callback", "/callback", false},
		{"http://[::ffff:127.0.0.1]:4040/callback", "/callback", false},
		{"http://localhost.example.com:4040/callback", "/callback", false},
		{"http://example.com:4040/callback", "/callback", false},
		{"http://user:pw@localhost:4040/callback", "/callback", false},
		{"http://localhost:4040/callback?x=1", "/callback", false},
		{"http://localhost:4040/callback?", "/callback", false},
		{"http://localhost:4040/callback#frag", "/callback", false},
		{"http://localhost:4040/%63allback", "/callback", false},
		{"http://localhost:4040/callback/", "/callback", false},
		{"http://localhost:4040\\@evil.example.com/callback", "/callback", false},
		{"//localhost:4040/callback", "/callback", false},
		{"", "/", false},
	} {
		if got := IsLoopbackCallback(tc.uri, tc.path); got != tc.want {
			t.Errorf("IsLoopbackCallback(%q, %q) = %v, want %v", tc.uri, tc.path, got, tc.want)
		}
	}
}

// Whatever the input, an accepted URI really is plain http to a loopback
// host with the exact path.
func FuzzIsLoopbackCallback(f *testing.F) {
	for _, s := range []string{"http://localhost:4040/callback", "http://[::1]:1/callback", "http://127.0.0.1:9/", "https://x/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, path := range []string{"/callback", "/"} {
			if !IsLoopbackCallback(raw, path) {
				continue
			}
			u, err := url.Parse(raw)
			if err != nil || u.Scheme != "http" || u.Path != path || u.RawQuery != "" || u.User != nil || !urlpolicy.IsLoopbackHost(u.Hostname()) {
				t.Fatalf("accepted %q for %q", raw, path)
			}
		}
	})
}

func FuzzNormalizeUserCode(f *testing.F) {
	f.Add("BCDF-GHJK")
	f.Add("bcdf ghjk")
	f.Fuzz(func(t *testing.T, code string) {
		n := normalizeUserCode(code)
		if strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" || normalizeUserCode(n) != n {
			t.Fatalf("normalizeUserCode(%q) = %q", code, n)
		}
	})
}
