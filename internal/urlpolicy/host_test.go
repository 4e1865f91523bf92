package urlpolicy

import (
	"net/url"
	"testing"
)

func TestIsLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"0.0.0.0": false, "192.0.2.1": false, "example.com": false, "localhost.example.com": false, "": false, "[::1]": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSecure(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"https://op.example.com/":     true,
		"https://op.example.com:8443": true,
		"http://localhost:5055":       true,
		"http://127.0.0.1:6060/api":   true,
		"http://[::1]:4040/callback":  true,
		"http://op.example.com/":      false,
		"http://localhost.evil.com/":  false,
		"ftp://localhost/":            false,
		"https:///path":               false,
		"/relative":                   false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := Secure(u); got != want {
			t.Errorf("Secure(%q) = %v, want %v", raw, got, want)
		}
	}
	if Secure(nil) {
		t.Error("Secure(nil) = true")
	}
}
