package e2e

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// BenchmarkSandboxLoadRSS puts the real sandbox under a bounded load of
// mixed grants and bad input on loopback (at most loadDuration and
// loadMaxRequests) and reports its resident memory: at start, at its peak
// and at the end, sampled every second from /proc. It asserts that no
// request got a 5xx and that stderr shows no panic. Run with:
//
//	go test -run '^$' -bench SandboxLoadRSS -benchtime 1x ./e2e/
func BenchmarkSandboxLoadRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	const (
		loadDuration    = 60 * time.Second
		loadMaxRequests = 400_000
		workers         = 8
	)
	// One load however many iterations -benchtime asks for: the figures
	// are of one bounded run.
	first := true
	for b.Loop() {
		if !first {
			continue
		}
		first = false
		sb := startSandbox(b)
		pid := sb.cmd.Process.Pid
		startRSS := rssKiB(b, pid)
		var peak atomic.Int64
		peak.Store(startRSS)
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		sampler.Go(func() {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if r := rssKiB(b, pid); r > peak.Load() {
						peak.Store(r)
					}
				}
			}
		})

		var sent, fiveXX atomic.Int64
		counts := make([]atomic.Int64, len(loadMixes))
		deadline := time.Now().Add(loadDuration)
		tr := &http.Transport{MaxIdleConnsPerHost: workers * 2}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 42))
				c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				for time.Now().Before(deadline) && sent.Load() < loadMaxRequests {
					i := rng.IntN(len(loadMixes))
					n, bad := loadMixes[i].run(b, sb, c, rng)
					sent.Add(int64(n))
					fiveXX.Add(int64(bad))
					counts[i].Add(1)
				}
			})
		}
		wg.Wait()
		close(stop)
		sampler.Wait()
		endRSS := rssKiB(b, pid)
		elapsed := time.Until(deadline) // negative once the time is up
		st := sb.stats(b)
		for i, m := range loadMixes {
			b.Logf("%-22s %d rounds", m.name, counts[i].Load())
		}
		b.Logf("requests %d in %v, 5xx %d, live tables %v, grants %v", sent.Load(), loadDuration+elapsed, fiveXX.Load(), st["live"], st["grants"])
		if fiveXX.Load() > 0 {
			b.Errorf("%d answers were 5xx", fiveXX.Load())
		}
		if s := sb.stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			b.Errorf("stderr shows a panic:\n%s", s)
		}
		b.ReportMetric(float64(sent.Load()), "requests")
		b.ReportMetric(float64(startRSS)/1024, "start-RSS-MiB")
		b.ReportMetric(float64(peak.Load())/1024, "peak-RSS-MiB")
		b.ReportMetric(float64(endRSS)/1024, "end-RSS-MiB")
		b.ReportMetric(0, "ns/op")
		sb.stop(b)
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(b *testing.B, pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// loadMix is one kind of round in the load: it returns the requests it
// sent and how many got a 5xx.
type loadMix struct {
	name string
	run  func(b *testing.B, sb *sandbox, c *http.Client, rng *rand.Rand) (int, int)
}

func loadPost(b *testing.B, c *http.Client, u, body string, user, pass string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(data)
}

func is5xx(status int) int {
	if status >= 500 && status != http.StatusServiceUnavailable {
		return 1 // 503 is the documented "table full" answer
	}
	return 0
}

var loadMixes = []loadMix{
	{"client credentials", func(b *testing.B, sb *sandbox, c *http.Client, _ *rand.Rand) (int, int) {
		bad := 0
		for range 20 {
			s, _ := loadPost(b, c, sb.Issuer+"/oauth/token", "grant_type=client_credentials&audience=https%3A%2F%2Fhello-world.example.com", "hello-ci", "hello-ci-secret")
			bad += is5xx(s)
		}
		return 20, bad
	}},
	{"login, refresh x5", func(b *testing.B, sb *sandbox, c *http.Client, _ *rand.Rand) (int, int) {
		n, bad := 0, 0
		browser := browserClient(b)
		browser.Transport = c.Transport
		browser.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			if !strings.HasPrefix(req.URL.String(), sb.Issuer) {
				return http.ErrUseLastResponse
			}
			return nil
		}
		conf := &oauth2.Config{ClientID: "hello-cli", RedirectURL: "http://127.0.0.1:49151/callback",
			Endpoint: oauth2.Endpoint{AuthURL: sb.Issuer + "/authorize", TokenURL: sb.Issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
			Scopes:   []string{"openid", "offline_access"}}
		verifier := oauth2.GenerateVerifier()
		resp, err := browser.Get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
		n += 2
		if err != nil {
			return n, bad
		}
		pageURL, page := readPage(b, resp)
		if !strings.Contains(page, `name="password"`) {
			return n, bad + is5xx(resp.StatusCode)
		}
		f := parseForm(b, page, "password")
		f.Values.Set("username", "bob@example.com")
		f.Values.Set("password", "bob-password")
		target, _ := url.Parse(pageURL)
		target, _ = target.Parse(f.Action)
		resp, err = browser.PostForm(target.String(), f.Values)
		n += 2
		if err != nil {
			return n, bad
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc == nil || loc.Query().Get("code") == "" {
			return n, bad + is5xx(resp.StatusCode)
		}
		s, body := loadPost(b, c, sb.Issuer+"/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
			"code_verifier": {verifier}, "client_id": {"hello-cli"}, "redirect_uri": {conf.RedirectURL}}.Encode(), "", "")
		n, bad = n+1, bad+is5xx(s)
		rt := jsonField(body, "refresh_token")
		for range 5 {
			s, body = loadPost(b, c, sb.Issuer+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"hello-cli"}}.Encode(), "", "")
			n, bad = n+1, bad+is5xx(s)
			if next := jsonField(body, "refresh_token"); next != "" {
				rt = next
			}
		}
		s, _ = loadPost(b, c, sb.Issuer+"/revoke", url.Values{"token": {rt}, "client_id": {"hello-cli"}}.Encode(), "", "")
		return n + 1, bad + is5xx(s)
	}},
	{"device code + polls", func(b *testing.B, sb *sandbox, c *http.Client, _ *rand.Rand) (int, int) {
		s, body := loadPost(b, c, sb.Issuer+"/device_authorization", "client_id=hello-cli&scope=openid", "", "")
		bad := is5xx(s)
		dc := jsonField(body, "device_code")
		for range 3 {
			s, _ = loadPost(b, c, sb.Issuer+"/oauth/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc}, "client_id": {"hello-cli"}}.Encode(), "", "")
			bad += is5xx(s)
		}
		return 4, bad
	}},
	{"bad input", func(b *testing.B, sb *sandbox, c *http.Client, rng *rand.Rand) (int, int) {
		bodies := []string{
			"grant_type=client_credentials&grant_type=client_credentials",
			"grant_type=refresh_token&refresh_token=" + strings.Repeat("A", 5000) + "&client_id=hello-cli",
			"grant_type=authorization_code&code=nope&code_verifier=x&client_id=hello-cli",
			"%%%zz&&==",
			"grant_type=" + strings.Repeat("x", 60<<10),
			"grant_type=password&username=alice&password=x",
		}
		bad := 0
		for _, body := range bodies {
			s, _ := loadPost(b, c, sb.Issuer+"/oauth/token", body, "", "")
			bad += is5xx(s)
		}
		junk := make([]byte, 512)
		for i := range junk {
			junk[i] = byte(rng.IntN(256))
		}
		for _, path := range []string{"/authorize?" + url.Values{"client_id": {string(junk)}, "state": {strings.Repeat("s", 4000)}}.Encode(),
			"/authorize?client_id=hello-cli&client_id=x", "/userinfo", "/device?user_code=" + url.QueryEscape(string(junk[:40])),
			fmt.Sprintf("/login?id=%x", junk[:16])} {
			resp, err := c.Get(sb.Issuer + path)
			if err == nil {
				bad += is5xx(resp.StatusCode)
				resp.Body.Close()
			}
		}
		s, _ := loadPost(b, c, sb.API+"/api/messages/protected", "", "", "")
		return len(bodies) + 6, bad + is5xx(s)
	}},
}

func jsonField(body, name string) string {
	key := `"` + name + `":"`
	i := strings.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}
