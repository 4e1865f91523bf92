package helloapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	bodyPublic       = `{"text":"This is a public message."}`
	bodyProtected    = `{"text":"This is a protected message."}`
	bodyAdmin        = `{"text":"This is an admin message."}`
	bodyRequiresAuth = `{"message":"Requires authentication"}`
	bodyBadCreds     = `{"message":"Bad credentials"}`
	bodyDenied       = `{"message":"Permission denied"}`
	bodyNotFound     = `{"message":"Not Found"}`
	bodyInternal     = `{"message":"Internal Server Error"}`
)

// securityHeaders are sent on every answer.
var securityHeaders = map[string]string{
	"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Content-Security-Policy":   "default-src 'self'; frame-ancestors 'none'",
	"Cache-Control":             "no-store, max-age=0",
	"Pragma":                    "no-cache",
	"X-XSS-Protection":          "0",
}

// quietLogger keeps expected server faults out of the test output.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newAPI serves a Server for ti over real HTTP. mod may adjust the config.
func newAPI(t testing.TB, ti *testIssuer, mod func(*Config)) (*Server, *httptest.Server) {
	t.Helper()
	cfg := Config{Issuer: ti.URL, Audience: testAudience, Logger: quietLogger()}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t testing.TB, hs *httptest.Server, method, path string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func get(t testing.TB, hs *httptest.Server, path, token string) answer {
	t.Helper()
	var h map[string]string
	if token != "" {
		h = map[string]string{"Authorization": "Bearer " + token}
	}
	return call(t, hs, http.MethodGet, path, h)
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	for k, want := range securityHeaders {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// checkAnswer compares status and body and checks the headers that go
// with them.
func checkAnswer(t *testing.T, got answer, wantStatus int, wantBody, wantChallenge string) {
	t.Helper()
	if got.status != wantStatus || got.body != wantBody {
		t.Errorf("got %d %s, want %d %s", got.status, got.body, wantStatus, wantBody)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ch := got.header.Get("WWW-Authenticate"); ch != wantChallenge {
		t.Errorf("WWW-Authenticate = %q, want %q", ch, wantChallenge)
	}
	checkSecurityHeaders(t, got.header)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"auth0", Config{Issuer: "https://example.eu.auth0.com/", Audience: testAudience}, ""},
		{"sandbox", Config{Issuer: "http://127.0.0.1:5055", Audience: testAudience}, ""},
		{"localhost", Config{Issuer: "http://localhost:5055", Audience: testAudience}, ""},
		{"ipv6 loopback", Config{Issuer: "http://[::1]:5055", Audience: testAudience}, ""},
		{"no issuer", Config{Audience: testAudience}, "issuer is required"},
		{"no audience", Config{Issuer: "https://example.com/"}, "audience is required"},
		{"relative issuer", Config{Issuer: "example.com", Audience: testAudience}, "scheme"},
		{"no host", Config{Issuer: "https:///path", Audience: testAudience}, "not an absolute URL"},
		{"sandbox on all interfaces", Config{Issuer: "http://0.0.0.0:5055", Audience: testAudience}, ""},
		{"ftp", Config{Issuer: "ftp://example.com/", Audience: testAudience}, "scheme"},
		{"no scheme", Config{Issuer: "//example.com/", Audience: testAudience}, "scheme"},
		{"query", Config{Issuer: "https://example.com/?x=1", Audience: testAudience}, "query"},
		{"negative leeway", Config{Issuer: "https://example.com/", Audience: testAudience, Leeway: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// TestContract walks the rows of the API contract, and the ways a token can
// be wrong.
func TestContract(t *testing.T) {
	ti := newTestIssuer(t)
	_, hs := newAPI(t, ti, nil)
	key := rsaKey(t, 0)
	other := rsaKey(t, 1)
	now := time.Now()

	with := func(mod func(c map[string]any)) map[string]any {
		c := ti.claims(now)
		mod(c)
		return c
	}
	valid := sign(t, key, "k1", "", ti.claims(now))
	admin := sign(t, key, "k1", "", with(func(c map[string]any) {
		c["permissions"] = []string{"read:messages", adminPermission}
	}))

	// "alg":"none" cannot be made by go-jose, which is the point.
	b64 := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(with(func(c map[string]any) { c["permissions"] = []string{adminPermission} }))
	algNone := b64([]byte(`{"alg":"none","kid":"k1","typ":"JWT"}`)) + "." + b64(payload) + "."

	// Algorithm confusion: HMAC keyed with the bytes of the public key
	// that the JWKS publishes.
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hsPEM := sign(t, pemKey, "k1", jose.HS256, ti.claims(now))
	hsDER := sign(t, der, "k1", jose.HS256, ti.claims(now))

	// A token with a valid signature and a body swapped for another.
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + b64(payload) + "." + parts[2]

	tests := []struct {
		name          string
		path          string
		auth          string // the whole Authorization header; "" for none
		wantStatus    int
		wantBody      string
		wantChallenge string
	}{
		{"public", pathPublic, "", 200, bodyPublic, ""},
		{"public ignores a bad token", pathPublic, "Bearer garbage", 200, bodyPublic, ""},
		{"protected", pathProtected, "Bearer " + valid, 200, bodyProtected, ""},
		{"protected lowercase scheme", pathProtected, "bearer " + valid, 200, bodyProtected, ""},
		{"admin", pathAdmin, "Bearer " + admin, 200, bodyAdmin, ""},
		{"admin token on protected", pathProtected, "Bearer " + admin, 200, bodyProtected, ""},
		{"admin without permission", pathAdmin, "Bearer " + valid, 403, bodyDenied, challengeForbidden},
		{"admin permission in scope only", pathAdmin, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["scope"] = "openid " + adminPermission
		})), 403, bodyDenied, challengeForbidden},
		{"admin no permissions claim", pathAdmin, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			delete(c, "permissions")
		})), 403, bodyDenied, challengeForbidden},

		{"protected no header", pathProtected, "", 401, bodyRequiresAuth, challengeMissing},
		{"admin no header", pathAdmin, "", 401, bodyRequiresAuth, challengeMissing},
		{"basic scheme", pathProtected, "Basic YWxpY2U6cGFzc3dvcmQ=", 401, bodyBadCreds, challengeInvalid},
		{"bearer without token", pathProtected, "Bearer", 401, bodyBadCreds, challengeInvalid},
		{"bearer blank token", pathProtected, "Bearer    ", 401, bodyBadCreds, challengeInvalid},
		{"bearer no space", pathProtected, "Bearer" + valid, 401, bodyBadCreds, challengeInvalid},
		{"token alone", pathProtected, valid, 401, bodyBadCreds, challengeInvalid},
		{"two tokens", pathProtected, "Bearer " + valid + " " + valid, 401, bodyBadCreds, challengeInvalid},
		{"garbage", pathProtected, "Bearer garbage", 401, bodyBadCreds, challengeInvalid},
		{"four parts", pathProtected, "Bearer " + valid + ".x", 401, bodyBadCreds, challengeInvalid},
		{"bad signature", pathProtected, "Bearer " + sign(t, other, "k1", "", ti.claims(now)), 401, bodyBadCreds, challengeInvalid},
		{"tampered payload", pathAdmin, "Bearer " + tampered, 401, bodyBadCreds, challengeInvalid},
		{"expired", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["iat"] = now.Add(-2 * time.Hour).Unix()
			c["exp"] = now.Add(-time.Minute).Unix()
		})), 401, bodyBadCreds, challengeInvalid},
		{"expired within leeway", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["exp"] = now.Add(-DefaultLeeway / 2).Unix()
		})), 200, bodyProtected, ""},
		{"ID token (at_hash)", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["at_hash"] = "x4Jd1fVdpLvCb0dW3eQp0A"
		})), 401, bodyBadCreds, challengeInvalid},
		{"ID token (nonce)", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["nonce"] = "n-0S6_WzA2Mj"
		})), 401, bodyBadCreds, challengeInvalid},
		{"no exp", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			delete(c, "exp")
		})), 401, bodyBadCreds, challengeInvalid},
		{"nbf in future", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["nbf"] = now.Add(time.Minute).Unix()
		})), 401, bodyBadCreds, challengeInvalid},
		{"nbf within leeway", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["nbf"] = now.Add(DefaultLeeway / 2).Unix()
		})), 200, bodyProtected, ""},
		{"iat in future", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["iat"] = now.Add(time.Minute).Unix()
		})), 401, bodyBadCreds, challengeInvalid},
		{"wrong iss", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["iss"] = "https://evil.example.com/"
		})), 401, bodyBadCreds, challengeInvalid},
		{"iss with extra slash", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["iss"] = ti.URL + "/"
		})), 401, bodyBadCreds, challengeInvalid},
		{"no iss", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			delete(c, "iss")
		})), 401, bodyBadCreds, challengeInvalid},
		{"wrong aud", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["aud"] = []string{"https://other.example.com", ti.URL + "/userinfo"}
		})), 401, bodyBadCreds, challengeInvalid},
		{"no aud", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			delete(c, "aud")
		})), 401, bodyBadCreds, challengeInvalid},
		{"aud as string", pathProtected, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["aud"] = testAudience
		})), 200, bodyProtected, ""},
		{"permissions not an array", pathAdmin, "Bearer " + sign(t, key, "k1", "", with(func(c map[string]any) {
			c["permissions"] = adminPermission
		})), 401, bodyBadCreds, challengeInvalid},
		{"alg none", pathAdmin, "Bearer " + algNone, 401, bodyBadCreds, challengeInvalid},
		{"HS256 keyed with public key PEM", pathProtected, "Bearer " + hsPEM, 401, bodyBadCreds, challengeInvalid},
		{"HS256 keyed with public key DER", pathProtected, "Bearer " + hsDER, 401, bodyBadCreds, challengeInvalid},
		{"RS384 with the right key", pathProtected, "Bearer " + sign(t, key, "k1", jose.RS384, ti.claims(now)), 401, bodyBadCreds, challengeInvalid},
		{"PS256 with the right key", pathProtected, "Bearer " + sign(t, key, "k1", jose.PS256, ti.claims(now)), 401, bodyBadCreds, challengeInvalid},
		{"missing kid", pathProtected, "Bearer " + sign(t, key, "", "", ti.claims(now)), 401, bodyBadCreds, challengeInvalid},
		{"unknown kid", pathProtected, "Bearer " + sign(t, key, "nope", "", ti.claims(now)), 401, bodyBadCreds, challengeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h map[string]string
			if tt.auth != "" {
				h = map[string]string{"Authorization": tt.auth}
			}
			got := call(t, hs, http.MethodGet, tt.path, h)
			checkAnswer(t, got, tt.wantStatus, tt.wantBody, tt.wantChallenge)
		})
	}
}

func TestNotFound(t *testing.T) {
	ti := newTestIssuer(t)
	_, hs := newAPI(t, ti, nil)
	valid := "Bearer " + sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
	tests := []struct{ method, path string }{
		{http.MethodPost, pathPublic},
		{http.MethodPost, pathProtected},
		{http.MethodPut, pathAdmin},
		{http.MethodDelete, pathProtected},
		{http.MethodPatch, pathPublic},
		{http.MethodGet, "/"},
		{http.MethodGet, "/api/messages"},
		{http.MethodGet, "/api/messages/secret"},
		{http.MethodGet, pathPublic + "/"},
		{http.MethodGet, "/API/MESSAGES/PUBLIC"},
		{http.MethodGet, "/.well-known/openid-configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := call(t, hs, tt.method, tt.path, map[string]string{"Authorization": valid})
			checkAnswer(t, got, http.StatusNotFound, bodyNotFound, "")
		})
	}
}

func TestHead(t *testing.T) {
	ti := newTestIssuer(t)
	_, hs := newAPI(t, ti, nil)
	got := call(t, hs, http.MethodHead, pathPublic, nil)
	if got.status != http.StatusOK || got.body != "" {
		t.Errorf("HEAD public: %d %q", got.status, got.body)
	}
}

func TestCORS(t *testing.T) {
	ti := newTestIssuer(t)
	_, hs := newAPI(t, ti, nil)
	valid := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))

	t.Run("preflight from the app", func(t *testing.T) {
		for _, p := range []string{pathPublic, pathProtected, pathAdmin} {
			got := call(t, hs, http.MethodOptions, p, map[string]string{
				"Origin":                         allowedOrigin,
				"Access-Control-Request-Method":  "GET",
				"Access-Control-Request-Headers": "authorization",
			})
			if got.status != http.StatusNoContent || got.body != "" {
				t.Errorf("OPTIONS %s: %d %q", p, got.status, got.body)
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":  allowedOrigin,
				"Access-Control-Allow-Methods": "GET",
				"Access-Control-Allow-Headers": "Authorization, Content-Type",
				"Access-Control-Max-Age":       "86400",
				"Vary":                         "Origin",
			}
			for k, v := range want {
				if g := got.header.Get(k); g != v {
					t.Errorf("OPTIONS %s: %s = %q, want %q", p, k, g, v)
				}
			}
			checkSecurityHeaders(t, got.header)
		}
	})
	t.Run("preflight from elsewhere", func(t *testing.T) {
		got := call(t, hs, http.MethodOptions, pathProtected, map[string]string{
			"Origin":                        "https://evil.example.com",
			"Access-Control-Request-Method": "GET",
		})
		if got.status != http.StatusNoContent {
			t.Errorf("status %d", got.status)
		}
		for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
			if g := got.header.Get(k); g != "" {
				t.Errorf("%s = %q, want none", k, g)
			}
		}
	})
	t.Run("preflight for an unknown path", func(t *testing.T) {
		got := call(t, hs, http.MethodOptions, "/api/other", map[string]string{"Origin": allowedOrigin})
		checkAnswer(t, got, http.StatusNotFound, bodyNotFound, "")
	})
	t.Run("simple requests", func(t *testing.T) {
		for _, tc := range []struct {
			path, auth, origin, wantACAO string
		}{
			{pathPublic, "", allowedOrigin, allowedOrigin},
			{pathProtected, "Bearer " + valid, allowedOrigin, allowedOrigin},
			{pathProtected, "", allowedOrigin, allowedOrigin}, // the app must be able to read the 401
			{pathPublic, "", "https://evil.example.com", ""},
			{pathPublic, "", "", ""},
		} {
			h := map[string]string{}
			if tc.origin != "" {
				h["Origin"] = tc.origin
			}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			got := call(t, hs, http.MethodGet, tc.path, h)
			if g := got.header.Get("Access-Control-Allow-Origin"); g != tc.wantACAO {
				t.Errorf("GET %s from %q: Access-Control-Allow-Origin = %q, want %q", tc.path, tc.origin, g, tc.wantACAO)
			}
			if g := got.header.Get("Vary"); g != "Origin" {
				t.Errorf("GET %s: Vary = %q", tc.path, g)
			}
		}
	})
}

// TestDiscoveryFetchedOnce checks that keys are cached: many requests, from
// many goroutines at once, cost one discovery and one JWKS fetch.
func TestDiscoveryFetchedOnce(t *testing.T) {
	ti := newTestIssuer(t)
	_, hs := newAPI(t, ti, nil)
	valid := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				if got := get(t, hs, pathProtected, valid); got.status != http.StatusOK {
					t.Errorf("got %d %s", got.status, got.body)
				}
			}
		})
	}
	wg.Wait()
	if d, j := ti.fetches(); d != 1 || j != 1 {
		t.Errorf("fetches: discovery %d, jwks %d; want 1 and 1", d, j)
	}
	// The public route never needs the provider.
	ti2 := newTestIssuer(t)
	_, hs2 := newAPI(t, ti2, nil)
	get(t, hs2, pathPublic, "")
	if d, j := ti2.fetches(); d != 0 || j != 0 {
		t.Errorf("public fetched discovery %d, jwks %d times", d, j)
	}
}

// TestKeyRotation: the provider starts signing with a new key; the first
// token with the new kid triggers one JWKS re-fetch and is accepted, and
// garbage kids cause at most one re-fetch per window.
func TestKeyRotation(t *testing.T) {
	ti := newTestIssuer(t)
	clock := &fakeClock{}
	_, hs := newAPI(t, ti, func(c *Config) { c.Now = clock.Now })
	oldKey, newKey := rsaKey(t, 0), rsaKey(t, 1)

	oldTok := sign(t, oldKey, "k1", "", ti.claims(time.Now()))
	if got := get(t, hs, pathProtected, oldTok); got.status != http.StatusOK {
		t.Fatalf("old token: %d %s", got.status, got.body)
	}
	assertFetches(t, ti, 1, 1)

	// Rotate: the new key is published and the old one withdrawn.
	ti.setKeys(t, "k2", newKey)
	newTok := sign(t, newKey, "k2", "", ti.claims(time.Now()))
	for i := range 3 {
		if got := get(t, hs, pathProtected, newTok); got.status != http.StatusOK {
			t.Fatalf("new token, try %d: %d %s", i, got.status, got.body)
		}
	}
	assertFetches(t, ti, 1, 2) // one re-fetch, discovery not repeated

	// The withdrawn key is gone with the old set.
	if got := get(t, hs, pathProtected, oldTok); got.status != http.StatusUnauthorized {
		t.Errorf("old token after rotation: %d %s", got.status, got.body)
	}

	// Garbage kids inside the window: no fetch at all.
	for i := range 50 {
		garbage := sign(t, newKey, "garbage-"+string(rune('a'+i%26)), "", ti.claims(time.Now()))
		checkAnswer(t, get(t, hs, pathProtected, garbage), http.StatusUnauthorized, bodyBadCreds, challengeInvalid)
	}
	assertFetches(t, ti, 1, 2)

	// After the window, one more; then quiet again.
	clock.Advance(refetchInterval + time.Second)
	garbage := sign(t, newKey, "garbage", "", ti.claims(time.Now()))
	for range 20 {
		checkAnswer(t, get(t, hs, pathProtected, garbage), http.StatusUnauthorized, bodyBadCreds, challengeInvalid)
	}
	assertFetches(t, ti, 1, 3)

	// Valid tokens never wait for the window.
	if got := get(t, hs, pathProtected, newTok); got.status != http.StatusOK {
		t.Errorf("new token after garbage: %d %s", got.status, got.body)
	}
}

// TestConcurrentMissesShareOneFetch holds the JWKS answer until many
// requests with unknown kids are waiting, and checks they made one fetch.
func TestConcurrentMissesShareOneFetch(t *testing.T) {
	ti := newTestIssuer(t)
	s, hs := newAPI(t, ti, nil)
	if err := s.Prefetch(t.Context()); err != nil {
		t.Fatal(err)
	}
	assertFetches(t, ti, 1, 1)

	release := make(chan struct{})
	ti.mu.Lock()
	ti.release = release
	ti.mu.Unlock()
	ti.setKeys(t, "k1", rsaKey(t, 0), "k2", rsaKey(t, 1))
	tok := sign(t, rsaKey(t, 1), "k2", "", ti.claims(time.Now()))

	const n = 30
	// Every request reports when it is about to wait on a fetch; the JWKS
	// answer is held until all n are waiting, so none can have come after
	// the fetch and none can have started a second one unseen.
	waiting := make(chan struct{}, n)
	s.waiting = func() { waiting <- struct{}{} }
	results := make(chan int, n)
	for range n {
		go func() { results <- get(t, hs, pathProtected, tok).status }()
	}
	for range n {
		<-waiting
	}
	close(release)
	for range n {
		if st := <-results; st != http.StatusOK {
			t.Errorf("status %d", st)
		}
	}
	assertFetches(t, ti, 1, 2)
}

func TestServerFaults(t *testing.T) {
	t.Run("issuer unreachable", func(t *testing.T) {
		ti := newTestIssuer(t)
		_, hs := newAPI(t, ti, nil)
		tok := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
		ti.Close()
		checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusInternalServerError, bodyInternal, "")
		checkAnswer(t, get(t, hs, pathAdmin, tok), http.StatusInternalServerError, bodyInternal, "")
		// The missing header is still the client's problem, and public
		// does not need the provider.
		checkAnswer(t, get(t, hs, pathProtected, ""), http.StatusUnauthorized, bodyRequiresAuth, challengeMissing)
		checkAnswer(t, get(t, hs, pathPublic, ""), http.StatusOK, bodyPublic, "")
	})
	t.Run("discovery retried after failure", func(t *testing.T) {
		ti := newTestIssuer(t)
		_, hs := newAPI(t, ti, nil)
		tok := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
		ti.setFail(true)
		checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusInternalServerError, bodyInternal, "")
		ti.setFail(false)
		checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusOK, bodyProtected, "")
		assertFetches(t, ti, 2, 1)
	})
	t.Run("discovery for another issuer", func(t *testing.T) {
		ti := newTestIssuer(t)
		ti.issuer = "https://evil.example.com/"
		_, hs := newAPI(t, ti, nil)
		tok := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
		checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusInternalServerError, bodyInternal, "")
		assertFetches(t, ti, 1, 0)
	})
	t.Run("jwks re-fetch fails", func(t *testing.T) {
		ti := newTestIssuer(t)
		_, hs := newAPI(t, ti, nil)
		key := rsaKey(t, 0)
		tok := sign(t, key, "k1", "", ti.claims(time.Now()))
		checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusOK, bodyProtected, "")
		ti.setFail(true)
		// An unknown kid cannot be checked while the provider is down...
		unknown := sign(t, key, "k9", "", ti.claims(time.Now()))
		checkAnswer(t, get(t, hs, pathProtected, unknown), http.StatusInternalServerError, bodyInternal, "")
		// ...but the cached keys keep working.
		checkAnswer(t, get(t, hs, pathProtected, tok), http.StatusOK, bodyProtected, "")
	})
	t.Run("panic", func(t *testing.T) {
		ti := newTestIssuer(t)
		_, hs := newAPI(t, ti, func(c *Config) {
			c.Now = func() time.Time { panic("clock is broken") }
		})
		tok := sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now()))
		got := get(t, hs, pathProtected, tok)
		checkAnswer(t, got, http.StatusInternalServerError, bodyInternal, "")
		if strings.Contains(got.body, "goroutine") || strings.Contains(got.body, "clock") {
			t.Errorf("body leaks the panic: %s", got.body)
		}
		// The server survives it.
		checkAnswer(t, get(t, hs, pathPublic, ""), http.StatusOK, bodyPublic, "")
	})
}

// TestJWKSDowngrade: an https issuer must not send us to fetch its keys
// over plain http.
func TestJWKSDowngrade(t *testing.T) {
	var tls *httptest.Server
	tls = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":   tls.URL + "/",
			"jwks_uri": "http://" + tls.Listener.Addr().String() + "/jwks",
		})
	}))
	defer tls.Close()
	s, err := New(Config{Issuer: tls.URL + "/", Audience: testAudience, HTTPClient: tls.Client(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Prefetch(t.Context()); err == nil || !strings.Contains(err.Error(), "not https") {
		t.Errorf("Prefetch = %v, want a refusal of the http jwks_uri", err)
	}
}

func TestJWKSParsing(t *testing.T) {
	ti := newTestIssuer(t)
	// Entries the API must skip without losing the good key: an unknown
	// kty, an encryption key, a key for another alg, and a short key.
	short, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ti.setKeys(t, "k1", rsaKey(t, 0), "enc", rsaKey(t, 1), "rs512", rsaKey(t, 2), "short", short)
	ti.mu.Lock()
	ti.jwks.Keys[1].Use = "enc"
	ti.jwks.Keys[2].Algorithm = string(jose.RS512)
	ti.extra = []json.RawMessage{
		json.RawMessage(`{"kty":"XYZ","kid":"strange"}`),
	}
	ti.mu.Unlock()
	_, hs := newAPI(t, ti, nil)
	now := time.Now()
	tests := []struct {
		name, kid  string
		key        *rsa.PrivateKey
		wantStatus int
	}{
		{"good key", "k1", rsaKey(t, 0), 200},
		{"encryption key", "enc", rsaKey(t, 1), 401},
		{"other alg", "rs512", rsaKey(t, 2), 401},
		{"unknown kty", "strange", rsaKey(t, 0), 401},
		{"short key", "short", short, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, hs, pathProtected, sign(t, tt.key, tt.kid, "", ti.claims(now)))
			if got.status != tt.wantStatus {
				t.Errorf("got %d %s, want %d", got.status, got.body, tt.wantStatus)
			}
		})
	}
}

func TestPrefetch(t *testing.T) {
	ti := newTestIssuer(t)
	s, hs := newAPI(t, ti, nil)
	if err := s.Prefetch(t.Context()); err != nil {
		t.Fatalf("Prefetch: %v", err)
	}
	if err := s.Prefetch(t.Context()); err != nil {
		t.Fatalf("second Prefetch: %v", err)
	}
	assertFetches(t, ti, 1, 1)
	get(t, hs, pathProtected, sign(t, rsaKey(t, 0), "k1", "", ti.claims(time.Now())))
	assertFetches(t, ti, 1, 1)

	t.Run("unreachable", func(t *testing.T) {
		ti := newTestIssuer(t)
		s, _ := newAPI(t, ti, nil)
		ti.Close()
		if err := s.Prefetch(t.Context()); err == nil || !strings.Contains(err.Error(), "discovery") {
			t.Errorf("Prefetch = %v, want a discovery error", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ti := newTestIssuer(t)
		ti.release = make(chan struct{})
		defer close(ti.release)
		s, _ := newAPI(t, ti, nil)
		// The JWKS answer is held, so the fetch cannot finish: the
		// caller's expired deadline is the only way out of the wait.
		ctx, cancel := context.WithDeadline(t.Context(), time.Now())
		defer cancel()
		if err := s.Prefetch(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Prefetch = %v, want deadline exceeded", err)
		}
	})
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer   abc", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearerabc", "", false},
		{"Bearer\tabc", "", false},
		{"Bearer a b", "", false},
		{"Bearer a\tb", "", false},
		{"Basic abc", "", false},
		{"Token abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := bearerToken(tt.in)
		if diff := cmp.Diff([]any{tt.want, tt.wantOK}, []any{got, ok}); diff != "" {
			t.Errorf("bearerToken(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func assertFetches(t *testing.T, ti *testIssuer, discovery, jwks int32) {
	t.Helper()
	if d, j := ti.fetches(); d != discovery || j != jwks {
		t.Errorf("fetches: discovery %d, jwks %d; want %d and %d", d, j, discovery, jwks)
	}
}
