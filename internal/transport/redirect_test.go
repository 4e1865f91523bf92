package transport

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	req := func(method, url, auth string) *http.Request {
		r := httptest.NewRequest(method, url, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	tests := []struct {
		name     string
		from, to *http.Request
		ok       bool
	}{
		{"https to https, other host", req("GET", "https://a.example/x", ""), req("GET", "https://b.example/y", ""), true},
		{"https to http", req("GET", "https://a.example/x", ""), req("GET", "http://a.example/x", ""), false},
		{"to http loopback", req("GET", "https://a.example/x", ""), req("GET", "http://127.0.0.1:8080/x", ""), true},
		{"bearer to other port", req("GET", "https://a.example/x", "Bearer t"), req("GET", "https://a.example:8443/x", ""), false},
		{"bearer to other host", req("GET", "https://a.example/x", "Bearer t"), req("GET", "https://b.example/x", ""), false},
		{"bearer same origin", req("GET", "https://a.example/x", "Bearer t"), req("GET", "https://a.example/y", ""), true},
		{"post body to other host", req("POST", "https://a.example/token", ""), req("POST", "https://b.example/token", ""), false},
		{"post same origin", req("POST", "https://a.example/token", ""), req("POST", "https://a.example/oauth/token", ""), true},
	}
	for _, tt := range tests {
		err := checkRedirect(tt.to, []*http.Request{tt.from})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	many := make([]*http.Request, maxRedirects)
	for i := range many {
		many[i] = req("GET", "https://a.example/x", "")
	}
	if err := checkRedirect(req("GET", "https://a.example/y", ""), many); err == nil {
		t.Error("redirect loop not stopped")
	}
}

// TestBearerNotForwarded: a redirect to another origin must not carry the
// token there (the request fails instead).
func TestBearerNotForwarded(t *testing.T) {
	t.Parallel()
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
	}))
	defer api.Close()
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, api.URL+"/api/messages/protected", nil)
	r.Header.Set("Authorization", "Bearer secret-token")
	resp, err := c.Do(r)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the redirect to another origin was followed")
	}
	if leaked.Load() || strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("token leaked (%v)", err)
	}
}
