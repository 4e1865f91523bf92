package provider

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// BenchmarkTokenEndpoint measures token-endpoint requests per second through
// a real loopback server with keep-alive clients: client credentials (the
// published hello-ci secret) and refresh-token rotation (each parallel client
// rotates its own family, as one CLI per user does). Figures only.
func BenchmarkTokenEndpoint(b *testing.B) {
	s := startIDP(b, func(c *Config) { c.Logger = nil })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	post := func(b *testing.B, form url.Values, user, pass string) (map[string]string, bool) {
		req, err := http.NewRequest(http.MethodPost, s.url+"/oauth/token", strings.NewReader(form.Encode()))
		if err != nil {
			b.Error(err)
			return nil, false
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return nil, false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			b.Errorf("status %d: %s", resp.StatusCode, body)
			return nil, false
		}
		var out map[string]any
		if err := decodeJSON(resp, &out); err != nil {
			b.Error(err)
			return nil, false
		}
		m := map[string]string{}
		for k, v := range out {
			if s, ok := v.(string); ok {
				m[k] = s
			}
		}
		return m, true
	}
	b.Run("client_credentials", func(b *testing.B) {
		form := url.Values{"grant_type": {"client_credentials"}, "audience": {DefaultAudience}}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok := post(b, form, CIClientID, CIClientSecret); !ok {
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("refresh", func(b *testing.B) {
		conf := s.oauthConfig()
		var mu sync.Mutex
		// One family per parallel client, logged in before the timer runs.
		var pool []string
		for range 16 {
			tok, _ := newBrowser(b, s).loginTokens(conf, AliceEmail, AlicePassword)
			pool = append(pool, tok.RefreshToken)
		}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			mu.Lock()
			if len(pool) == 0 {
				mu.Unlock()
				b.Error("more parallel clients than families")
				return
			}
			rt := pool[0]
			pool = pool[1:]
			mu.Unlock()
			for pb.Next() {
				out, ok := post(b, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {CLIClientID}}, "", "")
				if !ok {
					return
				}
				rt = out["refresh_token"]
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
