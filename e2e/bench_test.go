package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Benchmarks of the real binary. They print figures; they assert nothing
// about time. Run them with:
//
//	go test -run '^$' -bench . -benchtime 40x ./e2e/

// BenchmarkWarmCall compares, alternating in one run, `hello messages
// protected` with a valid cached token against curl on the same URL with
// the token from `hello token` (the README's recipe), and against curl
// alone, reporting medians and ratios.
func BenchmarkWarmCall(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl is not installed")
	}
	sb := startSandbox(b)
	u := newUser(b, sb)
	u.login("alice@example.com", "alice-password")
	url := sb.API + "/api/messages/protected"
	// The header goes through a file so that the token stays out of argv.
	header := filepath.Join(u.home, "auth-header")
	token := strings.TrimSpace(u.mustRun("token").Stdout)
	if err := os.WriteFile(header, []byte("Authorization: Bearer "+token+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	recipe := `curl -sf -H "Authorization: Bearer $(` + helloBin + ` token)" ` + url
	var helloT, recipeT, curlT []time.Duration
	for b.Loop() {
		helloT = append(helloT, timed(b, u, helloBin, "messages", "protected"))
		recipeT = append(recipeT, timed(b, u, "sh", "-c", recipe))
		curlT = append(curlT, timed(b, u, curl, "-sf", "-H", "@"+header, url))
	}
	h, r, c := median(helloT), median(recipeT), median(curlT)
	b.ReportMetric(ms(h), "hello-ms")
	b.ReportMetric(ms(r), "curl+token-ms")
	b.ReportMetric(ms(c), "curl-ms")
	b.ReportMetric(float64(h)/float64(r), "hello/curl+token")
	b.ReportMetric(float64(h)/float64(c), "hello/curl")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkHelp is hello's start-up time: `hello --help` touches no network
// and no file but the binary.
func BenchmarkHelp(b *testing.B) {
	u := newUser(b, nil)
	var d []time.Duration
	for b.Loop() {
		d = append(d, timed(b, u, helloBin, "--help"))
	}
	b.ReportMetric(ms(median(d)), "median-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkParallelExpired measures 32 processes started at once on an
// expired token (one refreshes, 31 wait on the lock and reuse its result)
// and, in the same run, one warm call.
func BenchmarkParallelExpired(b *testing.B) {
	sb := startSandbox(b)
	u := newUser(b, sb)
	u.login("alice@example.com", "alice-password")
	const n = 32
	var par, warm []time.Duration
	refreshes := 0
	for b.Loop() {
		u.expireToken()
		before := sb.grants(b, "refresh_token")
		start := time.Now()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { u.mustRun("messages", "protected") })
		}
		wg.Wait()
		par = append(par, time.Since(start))
		refreshes += sb.grants(b, "refresh_token") - before
		warm = append(warm, timed(b, u, helloBin, "messages", "protected"))
	}
	b.ReportMetric(ms(median(par)), "32-parallel-ms")
	b.ReportMetric(ms(median(warm)), "warm-ms")
	b.ReportMetric(float64(refreshes)/float64(len(par)), "refreshes/round")
	b.ReportMetric(0, "ns/op")
}

func timed(b *testing.B, u *user, name string, args ...string) time.Duration {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = u.env, u.dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return d
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
