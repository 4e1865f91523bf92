package e2e

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Benchmarks of the real binary. They print figures; they assert nothing
// about time. Run them with:
//
//	go test -run '^$' -bench . -benchtime 40x ./e2e/
//
// Start-up time depends on how the binaries are built: the test binary is a
// plain `go build`, which links the C library dynamically on most Linux
// machines, while releases are static (CGO_ENABLED=0, see goreleaser.yaml).
// The start-up benchmarks therefore measure both, hello and the floor
// always built the same way.

// build is one way of building hello and the floor.
type build struct {
	name         string
	hello, floor string
}

// builds returns the release build (as goreleaser.yaml builds it) and the
// test build (as TestMain builds hello), each with its floor. They are built
// once per run, beside the test binary.
//
// Every binary is timed as a copy, as installed from an archive: a file
// the linker has just written starts measurably slower (by up to a sixth
// here) than the same bytes written anew, which would make a comparison of
// two binaries depend on how each was last written.
func builds(b *testing.B) []build {
	b.Helper()
	bs, err := buildsOnce()
	if err != nil {
		b.Fatal(err)
	}
	return bs
}

var buildsOnce = sync.OnceValues(func() ([]build, error) {
	dir := filepath.Join(filepath.Dir(helloBin), "bench")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	release := []string{"CGO_ENABLED=0"}
	releaseFlags := []string{"-trimpath", "-ldflags=-s -w"}
	bs := []build{
		{name: "release", hello: filepath.Join(dir, "hello-release"), floor: filepath.Join(dir, "floor-release")},
		{name: "test-build", hello: filepath.Join(dir, "hello"), floor: filepath.Join(dir, "floor")},
	}
	for _, c := range []struct {
		out, pkg string
		env      []string
		flags    []string
	}{
		{bs[0].hello, "..", release, releaseFlags},
		{bs[0].floor, "./testdata/floor", release, releaseFlags},
		{bs[1].floor, "./testdata/floor", nil, nil},
	} {
		built := c.out + ".built"
		args := append(append([]string{"build", "-o", built}, c.flags...), c.pkg)
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), c.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go %v: %w\n%s", args, err, out)
		}
		if err := copyExecutable(built, c.out); err != nil {
			return nil, err
		}
	}
	if err := copyExecutable(helloBin, bs[1].hello); err != nil {
		return nil, err
	}
	return bs, nil
})

// copyExecutable writes a fresh copy of the file src as dst.
func copyExecutable(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o700)
}

// BenchmarkWarmCall compares, interleaved in one run, warm `hello messages
// protected` (a valid cached token) with:
//   - the floor: a 25-line Go program (testdata/floor) that reads the token
//     from hello's cache entry and makes one bearer GET, the least any Go
//     client must do;
//   - curl with the header from a file, the usual shell alternative;
//   - the README's recipe, curl with the token from `hello token`.
//
// It reports medians and the ratios hello/floor (goal: at most 1.2) and
// hello/curl (goal: at most 0.6), of wall time and of CPU time.
func BenchmarkWarmCall(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl is not installed")
	}
	bs := builds(b)
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
	for _, bd := range bs {
		b.Run(bd.name, func(b *testing.B) {
			recipe := `curl -sf -H "Authorization: Bearer $(` + bd.hello + ` token)" ` + url
			cmds := [][]string{
				{bd.hello, "messages", "protected"},
				{bd.floor, u.cachePath(), url},
				{curl, "-sf", "-H", "@" + header, url},
				{"sh", "-c", recipe},
			}
			t := interleave(b, u, cmds)
			h, f, c, r := median(t[0].wall), median(t[1].wall), median(t[2].wall), median(t[3].wall)
			b.ReportMetric(ms(h), "hello-ms")
			b.ReportMetric(ms(f), "floor-ms")
			b.ReportMetric(ms(c), "curl-ms")
			b.ReportMetric(ms(r), "curl+token-ms")
			b.ReportMetric(float64(h)/float64(f), "hello/floor")
			b.ReportMetric(float64(h)/float64(c), "hello/curl")
			b.ReportMetric(float64(h)/float64(r), "hello/curl+token")
			hc, fc, cc := median(t[0].cpu), median(t[1].cpu), median(t[2].cpu)
			b.ReportMetric(ms(hc), "hello-cpu-ms")
			b.ReportMetric(ms(fc), "floor-cpu-ms")
			b.ReportMetric(float64(hc)/float64(fc), "hello/floor-cpu")
			b.ReportMetric(float64(hc)/float64(cc), "hello/curl-cpu")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// budgetLinks are the floor's build tags of testdata/floor/link_*.go, each
// linking in something hello must link, with what it is called in the
// figures.
var budgetLinks = []struct{ tag, name string }{
	{"floor_cobra", "+cobra"},
	{"floor_viper", "+viper"},
	{"floor_gojq", "+gojq"},
	{"floor_sandbox", "+sandbox"},
	{"floor_all", "+all4"},
	{"floor_hello", "+hello-pkgs"},
}

var budgetOnce = sync.OnceValues(func() ([]string, error) {
	dir := filepath.Join(filepath.Dir(helloBin), "bench")
	var out []string
	for _, l := range budgetLinks {
		bin := filepath.Join(dir, "floor-"+l.tag)
		built := bin + ".built"
		cmd := exec.Command("go", "build", "-o", built, "-trimpath", "-ldflags=-s -w", "-tags", l.tag, "./testdata/floor")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build the floor with %s: %w\n%s", l.tag, err, o)
		}
		if err := copyExecutable(built, bin); err != nil {
			return nil, err
		}
		out = append(out, bin)
	}
	return out, nil
})

// BenchmarkStartupBudget splits the distance between the floor and warm
// `hello messages protected` (release builds, interleaved in one run): the
// floor doing the same work with, linked in but unused, cobra, viper,
// gojq, the embedded sandbox, those four together, and every package hello
// links. What a linked package costs before main (its initialisation, and
// the pages of the binary it touches) is paid by every command, so these
// figures are the least any hello with that feature can take. Each is
// reported in ms and as a ratio to the floor.
func BenchmarkStartupBudget(b *testing.B) {
	bd := builds(b)[0]
	floors, err := budgetOnce()
	if err != nil {
		b.Fatal(err)
	}
	sb := startSandbox(b)
	u := newUser(b, sb)
	u.login("alice@example.com", "alice-password")
	url := sb.API + "/api/messages/protected"
	cmds := [][]string{{bd.floor, u.cachePath(), url}}
	for _, f := range floors {
		cmds = append(cmds, []string{f, u.cachePath(), url})
	}
	cmds = append(cmds, []string{bd.hello, "messages", "protected"})
	names := []string{"floor"}
	for _, l := range budgetLinks {
		names = append(names, "floor"+l.name)
	}
	names = append(names, "hello")
	t := interleave(b, u, cmds)
	base := median(t[0].wall)
	for i, name := range names {
		m := median(t[i].wall)
		b.ReportMetric(ms(m), name+"-ms")
		if i > 0 {
			b.ReportMetric(float64(m)/float64(base), name+"/floor")
		}
	}
	b.ReportMetric(0, "ns/op")
}

// run is one command's times over the rounds: wall clock, and CPU (user
// plus system) as the kernel accounted it. CPU time is much less disturbed
// by other work on a shared machine than wall time.
type run struct{ wall, cpu []time.Duration }

// interleave runs each command once per round, in an order shuffled anew
// each round (a fixed order would always put the same command after the
// same other one, and what runs just before matters), and returns each
// command's times.
func interleave(b *testing.B, u *user, cmds [][]string) []run {
	b.Helper()
	return interleaveExits(b, u, cmds, nil)
}

// interleaveExits is interleave where anyExit[i] lets command i exit
// non-zero (another tool's --help may).
func interleaveExits(b *testing.B, u *user, cmds [][]string, anyExit []bool) []run {
	b.Helper()
	runs := make([]run, len(cmds))
	order := make([]int, len(cmds))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, j := range order {
			wall, cpu := timedCPU(b, u, j < len(anyExit) && anyExit[j], cmds[j][0], cmds[j][1:]...)
			runs[j].wall = append(runs[j].wall, wall)
			runs[j].cpu = append(runs[j].cpu, cpu)
		}
	}
	return runs
}

// BenchmarkInit is what package initialisation costs before main, as the
// Go runtime reports it (GODEBUG=inittrace=1), for the release build of
// warm `hello messages protected` and, in the same run, of the floor. With
// -v it logs hello's most expensive packages.
func BenchmarkInit(b *testing.B) {
	bd := builds(b)[0]
	sb := startSandbox(b)
	u := newUser(b, sb)
	u.login("alice@example.com", "alice-password")
	url := sb.API + "/api/messages/protected"
	var hello, fl []initTotals
	for b.Loop() {
		hello = append(hello, inittrace(b, u, bd.hello, "messages", "protected"))
		fl = append(fl, inittrace(b, u, bd.floor, u.cachePath(), url))
	}
	h, f := medianInit(hello), medianInit(fl)
	b.ReportMetric(h.ms, "hello-init-ms")
	b.ReportMetric(h.bytes, "hello-init-B")
	b.ReportMetric(h.allocs, "hello-init-allocs")
	b.ReportMetric(h.packages, "hello-init-pkgs")
	b.ReportMetric(f.ms, "floor-init-ms")
	b.ReportMetric(f.allocs, "floor-init-allocs")
	b.ReportMetric(f.packages, "floor-init-pkgs")
	b.ReportMetric(0, "ns/op")
	pkgs := medianByPackage(hello)
	slices.SortFunc(pkgs, func(x, y initLine) int { return cmp.Compare(y.ms, x.ms) })
	for _, l := range pkgs[:min(15, len(pkgs))] {
		b.Logf("%-50s %6.3f ms %7.0f B %4.0f allocs (median)", l.pkg, l.ms, l.bytes, l.allocs)
	}
}

// BenchmarkHelp is start-up time: `hello --help` touches no network and no
// file but the binary. It runs interleaved with the --help of the peer
// tools found on PATH (oauth2l, or $OAUTH2L; gh, the GitHub CLI, a Go and
// cobra tool with its own `gh auth login`; oidc-token of oidc-agent, in C),
// in an order shuffled each round, and reports hello alone when none is
// installed. They are measuring sticks installed by whoever runs the
// benchmark (gh and oidc-agent-cli are Debian packages), never dependencies
// of hello.
func BenchmarkHelp(b *testing.B) {
	bs := builds(b)
	u := newUser(b, nil)
	type peer struct{ name, path string }
	var peers []peer
	oauth2l := os.Getenv("OAUTH2L")
	if oauth2l == "" {
		oauth2l, _ = exec.LookPath("oauth2l")
	}
	if oauth2l != "" {
		peers = append(peers, peer{"oauth2l", oauth2l})
	}
	for _, name := range []string{"gh", "oidc-token"} {
		if p, err := exec.LookPath(name); err == nil {
			peers = append(peers, peer{name, p})
		}
	}
	if len(peers) == 0 {
		b.Log("no peer tool found (oauth2l, gh, oidc-token): hello alone")
	}
	for _, bd := range bs {
		b.Run(bd.name, func(b *testing.B) {
			cmds := [][]string{{bd.hello, "--help"}}
			anyExit := []bool{false}
			for _, p := range peers {
				cmds = append(cmds, []string{p.path, "--help"})
				anyExit = append(anyExit, true)
			}
			runs := interleaveExits(b, u, cmds, anyExit)
			h := median(runs[0].wall)
			b.ReportMetric(ms(h), "hello-ms")
			for i, p := range peers {
				o := median(runs[i+1].wall)
				b.ReportMetric(ms(o), p.name+"-ms")
				b.ReportMetric(float64(h)/float64(o), "hello/"+p.name)
			}
			b.ReportMetric(0, "ns/op")
		})
	}
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

// timedCPU is timed, also returning the CPU time the process used; with
// anyExit, a non-zero exit is a result like any other.
func timedCPU(b *testing.B, u *user, anyExit bool, name string, args ...string) (wall, cpu time.Duration) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = u.env, u.dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall = time.Since(start)
	var exitErr *exec.ExitError
	if err != nil && !(anyExit && errors.As(err, &exitErr)) {
		b.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// initLine is one package's line of GODEBUG=inittrace=1, e.g.
// "init net/http @3.9 ms, 0.024 ms clock, 4712 bytes, 49 allocs".
type initLine struct {
	pkg               string
	ms, bytes, allocs float64
}

var initLineRe = regexp.MustCompile(`^init (\S+) @\S+ ms, (\S+) ms clock, (\d+) bytes, (\d+) allocs$`)

// initTotals sums one run's inittrace.
type initTotals struct {
	ms, bytes, allocs, packages float64
	byPackage                   []initLine
}

// inittrace runs the program once with GODEBUG=inittrace=1 and sums the
// clock time, bytes and allocations of every package's initialisation.
func inittrace(b *testing.B, u *user, name string, args ...string) initTotals {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = append(slices.Clone(u.env), "GODEBUG=inittrace=1"), u.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	var t initTotals
	for line := range strings.Lines(stderr.String()) {
		m := initLineRe.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		l := initLine{pkg: m[1]}
		l.ms, _ = strconv.ParseFloat(m[2], 64)
		l.bytes, _ = strconv.ParseFloat(m[3], 64)
		l.allocs, _ = strconv.ParseFloat(m[4], 64)
		t.ms, t.bytes, t.allocs = t.ms+l.ms, t.bytes+l.bytes, t.allocs+l.allocs
		t.packages++
		t.byPackage = append(t.byPackage, l)
	}
	if t.packages == 0 {
		b.Fatalf("%s printed no inittrace:\n%s", name, stderr.String())
	}
	return t
}

// medianInit takes the median of each total on its own.
func medianInit(ts []initTotals) initTotals {
	pick := func(f func(initTotals) float64) float64 {
		v := make([]float64, len(ts))
		for i, t := range ts {
			v[i] = f(t)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return initTotals{
		ms:       pick(func(t initTotals) float64 { return t.ms }),
		bytes:    pick(func(t initTotals) float64 { return t.bytes }),
		allocs:   pick(func(t initTotals) float64 { return t.allocs }),
		packages: pick(func(t initTotals) float64 { return t.packages }),
	}
}

// medianByPackage is each package's median line over the runs.
func medianByPackage(ts []initTotals) []initLine {
	runs := map[string][]initLine{}
	for _, t := range ts {
		for _, l := range t.byPackage {
			runs[l.pkg] = append(runs[l.pkg], l)
		}
	}
	var out []initLine
	for pkg, ls := range runs {
		mid := func(f func(initLine) float64) float64 {
			v := make([]float64, len(ls))
			for i, l := range ls {
				v[i] = f(l)
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		out = append(out, initLine{pkg: pkg,
			ms:     mid(func(l initLine) float64 { return l.ms }),
			bytes:  mid(func(l initLine) float64 { return l.bytes }),
			allocs: mid(func(l initLine) float64 { return l.allocs }),
		})
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
