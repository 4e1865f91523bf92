package helloapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzAuthorization throws arbitrary Authorization headers at the protected
// and admin routes. Whatever the input, the answer is 200, 401 or (admin
// only) 403 with the fixed bodies: never a panic or a 500, since a working
// provider is behind it.
func FuzzAuthorization(f *testing.F) {
	ti := newTestIssuer(f)
	s, err := New(Config{Issuer: ti.URL, Audience: testAudience, Logger: quietLogger()})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	valid := sign(f, rsaKey(f, 0), "k1", "", ti.claims(now))
	admin := ti.claims(now)
	admin["permissions"] = []string{adminPermission}
	for _, seed := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Bearer " + valid,
		"bearer " + valid,
		"Bearer " + sign(f, rsaKey(f, 0), "k1", "", admin),
		"Bearer " + sign(f, rsaKey(f, 1), "k1", "", ti.claims(now)),
		"Bearer " + sign(f, rsaKey(f, 0), "", "", ti.claims(now)),
		"Bearer " + sign(f, rsaKey(f, 0), "other", "", ti.claims(now)),
		"Bearer " + valid[:len(valid)/2],
		"Bearer eyJhbGciOiJub25lIn0.e30.",
		"Bearer a.b.c",
		"Bearer ...",
		"Basic YWxhZGRpbjpvcGVuc2VzYW1l",
		"Bearer " + strings.Repeat("A", maxTokenBytes+1),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		for _, path := range []string{pathProtected, pathAdmin} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if auth != "" {
				req.Header["Authorization"] = []string{auth}
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK:
			case http.StatusUnauthorized:
				if b := rec.Body.String(); b != bodyBadCreds && b != bodyRequiresAuth {
					t.Fatalf("%s: 401 with body %s", path, b)
				}
			case http.StatusForbidden:
				if path != pathAdmin {
					t.Fatalf("%s: 403", path)
				}
			default:
				t.Fatalf("%s with %q: status %d %s", path, auth, rec.Code, rec.Body.String())
			}
		}
	})
}
