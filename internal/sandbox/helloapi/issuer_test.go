package helloapi

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const testAudience = "https://hello-world.example.com"

// Keys are slow to generate; the tests share a few.
var (
	keysOnce sync.Once
	testKeys [3]*rsa.PrivateKey
)

func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys[i]
}

// testIssuer is a minimal OpenID provider: discovery and a JWKS the test
// can rotate, counting every fetch.
type testIssuer struct {
	*httptest.Server
	issuer string // what discovery claims; the server URL unless changed

	mu      sync.Mutex
	jwks    jose.JSONWebKeySet
	extra   []json.RawMessage // raw JWKS entries added as is
	fail    bool              // answer 500 to everything
	release chan struct{}     // when set, JWKS requests wait on it

	discoveryHits atomic.Int32
	jwksHits      atomic.Int32
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	ti := &testIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		ti.discoveryHits.Add(1)
		ti.mu.Lock()
		fail, iss := ti.fail, ti.issuer
		ti.mu.Unlock()
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"issuer":   iss,
			"jwks_uri": ti.URL + "/jwks",
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		ti.jwksHits.Add(1)
		ti.mu.Lock()
		fail, release := ti.fail, ti.release
		var keys []any
		for _, k := range ti.jwks.Keys {
			keys = append(keys, k)
		}
		for _, k := range ti.extra {
			keys = append(keys, k)
		}
		ti.mu.Unlock()
		if release != nil {
			<-release
		}
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	ti.Server = httptest.NewServer(mux)
	t.Cleanup(ti.Close)
	ti.issuer = ti.URL
	ti.setKeys(t, "k1", rsaKey(t, 0))
	return ti
}

// setKeys replaces the published JWKS with the public halves of the
// alternating (kid, key) pairs given.
func (ti *testIssuer) setKeys(t testing.TB, pairs ...any) {
	t.Helper()
	var set jose.JSONWebKeySet
	for i := 0; i < len(pairs); i += 2 {
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       &pairs[i+1].(*rsa.PrivateKey).PublicKey,
			KeyID:     pairs[i].(string),
			Algorithm: string(jose.RS256),
			Use:       "sig",
		})
	}
	ti.mu.Lock()
	ti.jwks = set
	ti.mu.Unlock()
}

func (ti *testIssuer) setFail(fail bool) {
	ti.mu.Lock()
	ti.fail = fail
	ti.mu.Unlock()
}

func (ti *testIssuer) fetches() (discovery, jwks int32) {
	return ti.discoveryHits.Load(), ti.jwksHits.Load()
}

// claims returns the claims of a valid token for the issuer.
func (ti *testIssuer) claims(now time.Time) map[string]any {
	return map[string]any{
		"iss":         ti.URL,
		"sub":         "auth0|alice",
		"aud":         []string{testAudience, ti.URL + "/userinfo"},
		"iat":         now.Unix(),
		"exp":         now.Add(time.Hour).Unix(),
		"scope":       "openid profile email",
		"permissions": []string{},
	}
}

// sign signs claims with key under kid using alg (RS256 unless given).
func sign(t testing.TB, key any, kid string, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	if alg == "" {
		alg = jose.RS256
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("new signer: %v", err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

// fakeClock is a clock the test can move; it starts at the real time so
// tokens signed with time.Now line up with it.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
