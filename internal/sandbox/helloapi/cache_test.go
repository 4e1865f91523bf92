package helloapi

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestCachedTokenExpires checks that a remembered token is still held to
// its exp: the cache saves the signature check, not the clock.
func TestCachedTokenExpires(t *testing.T) {
	ti := newTestIssuer(t)
	clock := &fakeClock{}
	_, hs := newAPI(t, ti, func(c *Config) { c.Now = clock.Now })
	c := ti.claims(time.Now())
	c["exp"] = time.Now().Add(time.Minute).Unix()
	tok := sign(t, rsaKey(t, 0), "k1", "", c)

	checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusOK, bodyProtected, "")
	clock.Advance(time.Minute + DefaultLeeway/2) // past exp, inside the leeway
	checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusOK, bodyProtected, "")
	clock.Advance(DefaultLeeway) // past exp + leeway
	checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusUnauthorized, bodyBadCreds, challengeInvalid)
	checkAnswer(t, get(t, hs, pathAdmin, tok), http.StatusUnauthorized, bodyBadCreds, challengeInvalid)
}

// TestCachedTokenKeepsPermissions checks that the answer for a remembered
// token depends on its own permissions, whichever route saw it first.
func TestCachedTokenKeepsPermissions(t *testing.T) {
	ti := newTestIssuer(t)
	_, hs := newAPI(t, ti, nil)
	now := time.Now()
	plain := sign(t, rsaKey(t, 0), "k1", "", ti.claims(now))
	c := ti.claims(now)
	c["permissions"] = []string{adminPermission}
	admin := sign(t, rsaKey(t, 0), "k1", "", c)
	for range 2 {
		checkAnswer(t, get(t, hs, pathProtected, plain), http.StatusOK, bodyProtected, "")
		checkAnswer(t, get(t, hs, pathAdmin, plain), http.StatusForbidden, bodyDenied, challengeForbidden)
		checkAnswer(t, get(t, hs, pathProtected, admin), http.StatusOK, bodyProtected, "")
		checkAnswer(t, get(t, hs, pathAdmin, admin), http.StatusOK, bodyAdmin, "")
	}
}

func TestTokenCacheBounded(t *testing.T) {
	var c tokenCache
	v := &verified{}
	for i := range 3 * cacheGenEntries {
		c.put("token-"+strconv.Itoa(i), v)
	}
	if n := len(c.cur) + len(c.prev); n > 2*cacheGenEntries {
		t.Errorf("cache holds %d entries, want at most %d", n, 2*cacheGenEntries)
	}
	// The newest survive; the oldest are gone.
	if c.get("token-"+strconv.Itoa(3*cacheGenEntries-1)) == nil {
		t.Error("newest token evicted")
	}
	if c.get("token-0") != nil {
		t.Error("oldest token kept")
	}
	// A token from the previous generation is carried forward when used.
	old := "token-" + strconv.Itoa(cacheGenEntries+1)
	if _, ok := c.prev[old]; !ok {
		t.Fatalf("%s not in the previous generation", old)
	}
	if c.get(old) == nil {
		t.Fatal("previous generation not consulted")
	}
	if _, ok := c.cur[old]; !ok {
		t.Error("hit in the previous generation not carried forward")
	}
}

// nopWriter is a ResponseWriter that allocates nothing, so that
// testing.AllocsPerRun sees only the handler's own allocations.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// TestHotPathAllocs guards the fast path: public and protected with a known
// token allocate nothing in the handler itself.
func TestHotPathAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	ti := newTestIssuer(t)
	s, err := New(Config{Issuer: ti.URL, Audience: testAudience, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
	for _, tc := range []struct{ path, auth string }{
		{pathPublic, ""},
		{pathProtected, "Bearer " + tok},
		{pathAdmin, "Bearer " + tok}, // 403
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("Origin", allowedOrigin)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		w := &nopWriter{h: make(http.Header)}
		s.ServeHTTP(w, req) // warm: fetch keys, fill the cache
		if allocs := testing.AllocsPerRun(100, func() { s.ServeHTTP(w, req) }); allocs != 0 {
			t.Errorf("GET %s: %v allocations per request, want 0", tc.path, allocs)
		}
	}
}
