package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Which runs install a signal handler: a read-only call with a valid
// cached token does not (Ctrl-C ends it as it ends any program), a renewal
// does (Ctrl-C or SIGTERM leaves no lock, reservation or half-done refresh
// behind, and says so).

// hangingServer answers nothing: each request reports itself on reached
// and then waits until the client goes away or the test ends.
func hangingServer(t *testing.T) (*httptest.Server, <-chan string) {
	t.Helper()
	reached := make(chan string, 16)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.URL.Path
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for handlers
	return srv, reached
}

// awaitRequest waits until the server saw a request, or bg ended first.
func awaitRequest(t *testing.T, bg *background, reached <-chan string) string {
	t.Helper()
	select {
	case p := <-reached:
		return p
	case r := <-bg.done:
		t.Fatalf("hello exited (%d) before its request arrived; stderr:\n%s", r.Code, r.Stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("no request arrived; stderr:\n%s", bg.stderr)
	}
	return ""
}

// cacheListing is the names in the user's cache directory.
func cacheListing(t *testing.T, u *user) []string {
	t.Helper()
	des, err := os.ReadDir(u.cacheDir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestCtrlCEndsAnUnarmedWarmReadAtOnce(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	api, reached := hangingServer(t)
	v := *u
	v.env = append(slices.Clone(u.env), "HELLO_API_URL="+api.URL)
	before, listing := u.cacheBytes(), cacheListing(t, u)

	bg := v.start("messages", "protected")
	if p := awaitRequest(t, bg, reached); p != "/api/messages/protected" {
		t.Fatalf("first request to the API: %s", p)
	}
	if err := bg.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := bg.wait(t)
	// Killed by the signal, as any program without a handler is: a shell
	// reports 128+2 = 130.
	ws, ok := bg.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("after Ctrl-C: %v (exit %d, stderr %q); want ended by SIGINT, no handler installed", bg.cmd.ProcessState, r.Code, r.Stderr)
	}
	if string(u.cacheBytes()) != string(before) {
		t.Error("the cache entry changed")
	}
	if got := cacheListing(t, u); !slices.Equal(got, listing) {
		t.Errorf("cache directory %v, was %v", got, listing)
	}
}

func TestSIGTERMDuringARenewalExits143AndKeepsTheSession(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	base := u.cacheBytes()
	_, tokenPath := tokenEndpoint(t, sb)
	reached := make(chan struct{})
	release := make(chan struct{})
	var held atomic.Bool
	front := failingProvider(t, sb, func(p string) (int, string, http.Header) {
		if p != tokenPath || held.Swap(true) {
			return 0, "", nil // the next run's refresh goes through
		}
		// The first refresh never gets an answer while hello runs.
		close(reached)
		<-release
		return 503, `{"error":"temporarily_unavailable"}`, nil
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	path := u.copySession(base, front.URL)
	v := withIssuer(u, front.URL)
	before := mustRead(t, path)

	bg := v.start("messages", "protected")
	select {
	case <-reached:
	case r := <-bg.done:
		t.Fatalf("hello exited (%d) before refreshing; stderr:\n%s", r.Code, r.Stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("no refresh arrived; stderr:\n%s", bg.stderr)
	}
	// The refresh is in flight: hello holds the cache lock and has reserved
	// the new entry's file.
	if during := cacheListing(t, u); len(temporary(during)) == 0 {
		t.Fatalf("no reservation in the cache directory during the refresh: %v", during)
	}
	if err := bg.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := bg.wait(t)
	if r.Code != 143 || !strings.Contains(r.Stderr, "hello: interrupted") {
		t.Fatalf("after SIGTERM: exit %d (%v), stderr %q; want 143 and \"hello: interrupted\"", r.Code, bg.cmd.ProcessState, r.Stderr)
	}
	if left := temporary(cacheListing(t, u)); len(left) != 0 {
		t.Errorf("the interrupted refresh left %v in the cache directory", left)
	}
	if string(mustRead(t, path)) != string(before) {
		t.Error("the interrupted refresh changed the cache entry")
	}
	// The lock is free and the refresh token unspent: the next run renews.
	if r := v.run("messages", "protected"); r.Code != 0 || r.Stdout != "This is a protected message.\n" {
		t.Fatalf("next run: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// temporary is the temporary files among names (atomic writes in progress).
func temporary(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !strings.Contains(n, ".tmp-") })
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
