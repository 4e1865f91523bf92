package helloapi

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkAPI measures requests per second through a real loopback server
// with keep-alive clients, for the public route and for the protected one
// with a valid token (signature and claims checked on every request).
func BenchmarkAPI(b *testing.B) {
	ti := newTestIssuer(b)
	s, hs := newAPI(b, ti, nil)
	if err := s.Prefetch(b.Context()); err != nil {
		b.Fatal(err)
	}
	auth := "Bearer " + sign(b, rsaKey(b, 0), "k1", "", ti.claims(time.Now()))

	var rates = map[string]float64{}
	for _, bc := range []struct{ name, path, auth string }{
		{"public", pathPublic, ""},
		{"protected", pathProtected, auth},
	} {
		b.Run(bc.name, func(b *testing.B) {
			// Enough idle connections that every parallel client keeps its own.
			tr := hs.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 256
			client := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req, err := http.NewRequest(http.MethodGet, hs.URL+bc.path, nil)
				if err != nil {
					b.Error(err)
					return
				}
				if bc.auth != "" {
					req.Header.Set("Authorization", bc.auth)
				}
				for pb.Next() {
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "req/s")
			rates[bc.name] = rate // the last, longest run wins
			// The goal is protected >= 0.8x public; put the ratio on the
			// protected line, against the latest public run.
			if bc.name == "protected" && rates["public"] > 0 {
				b.ReportMetric(rate/rates["public"], "protected/public")
			}
		})
	}
}

// BenchmarkVerify shows what the token cache saves: the full check (parse,
// RSA-2048 signature, claims) against a cache hit.
func BenchmarkVerify(b *testing.B) {
	ti := newTestIssuer(b)
	s, _ := newAPI(b, ti, nil)
	if err := s.Prefetch(b.Context()); err != nil {
		b.Fatal(err)
	}
	tok := sign(b, rsaKey(b, 0), "k1", "", ti.claims(time.Now()))
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.verifyToken(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAPIPaired is BenchmarkAPI with the two routes interleaved: every
// parallel client alternates a public and a protected request and times
// each, so that a change of load on a shared machine weighs on both alike
// and the ratio compares like with like. Run with:
//
//	go test -run '^$' -bench 'BenchmarkAPI' -benchtime 3s ./internal/sandbox/helloapi/
func BenchmarkAPIPaired(b *testing.B) {
	ti := newTestIssuer(b)
	s, hs := newAPI(b, ti, nil)
	if err := s.Prefetch(b.Context()); err != nil {
		b.Fatal(err)
	}
	auth := "Bearer " + sign(b, rsaKey(b, 0), "k1", "", ti.claims(time.Now()))
	// The transport itself, not an http.Client: the client's per-request
	// header copying is the benchmark's own cost, larger for the request
	// with a token, and runs on the same two cores as the server.
	tr := hs.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	defer tr.CloseIdleConnections()

	var mu sync.Mutex
	var pubT, protT time.Duration
	var pubN, protN int
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		pub, _ := http.NewRequest(http.MethodGet, hs.URL+pathPublic, nil)
		prot, _ := http.NewRequest(http.MethodGet, hs.URL+pathProtected, nil)
		prot.Header.Set("Authorization", auth)
		var myPub, myProt time.Duration
		var nPub, nProt int
		for i := 0; pb.Next(); i++ {
			req, sum, n := pub, &myPub, &nPub
			if i%2 == 1 {
				req, sum, n = prot, &myProt, &nProt
			}
			start := time.Now()
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			*sum += time.Since(start)
			*n++
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		pubT, protT, pubN, protN = pubT+myPub, protT+myProt, pubN+nPub, protN+nProt
		mu.Unlock()
	})
	if pubN == 0 || protN == 0 {
		return
	}
	// Per-request latency under the same load; req/s scaled to the
	// whole run's concurrency.
	pubLat, protLat := float64(pubT)/float64(pubN), float64(protT)/float64(protN)
	total := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(total*(pubLat+protLat)/(2*pubLat), "public-req/s")
	b.ReportMetric(total*(pubLat+protLat)/(2*protLat), "protected-req/s")
	b.ReportMetric(pubLat/protLat, "protected/public")
}
