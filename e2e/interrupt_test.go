package e2e

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
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

// await waits until reached gives what the test waits for (what hello
// should have done by then, for the message), or fails when bg ends first.
func await[T any](t *testing.T, bg *background, reached <-chan T, what string) T {
	t.Helper()
	var v T
	select {
	case v = <-reached:
	case r := <-bg.Done:
		t.Fatalf("hello exited (%d) before %s; stderr:\n%s", r.Code, what, r.Stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("hello did not get to %s; stderr:\n%s", what, bg.Stderr)
	}
	return v
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
	if p := await(t, bg, reached, "its request"); p != "/api/messages/protected" {
		t.Fatalf("first request to the API: %s", p)
	}
	if err := bg.Cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	// Killed by the signal, as any program without a handler is: a shell
	// reports 128+2 = 130.
	ws, ok := bg.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("after Ctrl-C: %v (exit %d, stderr %q); want ended by SIGINT, no handler installed", bg.Cmd.ProcessState, r.Code, r.Stderr)
	}
	if string(u.cacheBytes()) != string(before) {
		t.Error("the cache entry changed")
	}
	if got := cacheListing(t, u); !slices.Equal(got, listing) {
		t.Errorf("cache directory %v, was %v", got, listing)
	}
}

// TestSIGTERMDuringARenewalKeepsTheSession: a signal that comes while the
// refresh is in flight does not cut it short (the provider may have
// rotated the refresh token already: dropping its answer would lose the
// session). hello says it waits for the answer, saves what arrives, and
// ends as interrupted, 143, leaving no lock or reservation behind.
//   - held before the provider saw it, then refused (503): the entry is
//     unchanged and the next run renews;
//   - forwarded (the provider rotates) and its answer held: the renewed
//     entry is saved, and the next run uses it without a refresh.
func TestSIGTERMDuringARenewalKeepsTheSession(t *testing.T) {
	t.Parallel()
	waiting := regexp.MustCompile(`(waiting for its answer)`)
	for _, forward := range []bool{false, true} {
		name := map[bool]string{false: "refused", true: "rotated"}[forward]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t)
			u := newUser(t, sb)
			u.login("alice@example.com", "alice-password")
			base := u.cacheBytes()
			_, tokenPath := tokenEndpoint(t, sb)
			reached := make(chan struct{})
			release := make(chan struct{})
			var held atomic.Bool
			front := frontProvider(t, sb, func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
				if r.URL.Path != tokenPath || held.Swap(true) {
					return false // the next run's requests go through
				}
				rec := httptest.NewRecorder()
				if forward {
					next.ServeHTTP(rec, r) // the provider rotates the refresh token
				} else {
					rec.WriteHeader(http.StatusServiceUnavailable)
					io.WriteString(rec, `{"error":"temporarily_unavailable"}`)
				}
				close(reached)
				<-release
				maps.Copy(w.Header(), rec.Header())
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return true
			})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free) // runs before the server's Close
			path := u.copySession(base, front.URL)
			v := withIssuer(u, front.URL)
			before := mustRead(t, path)
			refreshes := sb.grants(t, "refresh_token")

			bg := v.start("messages", "protected")
			await(t, bg, reached, "refreshing")
			// The refresh is in flight: hello holds the cache lock and has
			// reserved the new entry's file.
			if during := cacheListing(t, u); len(temporary(during)) == 0 {
				t.Fatalf("no reservation in the cache directory during the refresh: %v", during)
			}
			if err := bg.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			bg.WaitStderr(t, waiting)
			free()
			r := bg.Wait(t)
			if r.Code != 143 || !strings.Contains(r.Stderr, "hello: interrupted") {
				t.Fatalf("after SIGTERM: exit %d (%v), stderr %q; want 143 and \"hello: interrupted\"", r.Code, bg.Cmd.ProcessState, r.Stderr)
			}
			if left := temporary(cacheListing(t, u)); len(left) != 0 {
				t.Errorf("the interrupted refresh left %v in the cache directory", left)
			}
			after := mustRead(t, path)
			if changed := string(after) != string(before); changed != forward {
				t.Errorf("the cache entry changed: %v; want %v (the provider answered with a renewal: %v)", changed, forward, forward)
			}
			// The lock is free and the session works: renewed again (the
			// refresh token was never spent), or used as saved.
			if r := v.run("messages", "protected"); r.Code != 0 || r.Stdout != "This is a protected message.\n" {
				t.Fatalf("next run: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			// Rotated: the one refresh, kept. Refused: the held one never
			// reached the provider, the next run's did.
			if n := sb.grants(t, "refresh_token") - refreshes; n != 1 {
				t.Errorf("%d refreshes reached the provider, want 1", n)
			}
		})
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
