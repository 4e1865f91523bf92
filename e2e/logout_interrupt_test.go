package e2e

import (
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestCtrlCDuringLogoutRevocationKeepsTheSession: logout revokes the
// refresh token before it deletes the entry, so that a token the provider
// was never told about is not forgotten while still valid. A Ctrl-C while
// the provider is asked must stop there, as README promises for logout:
// "hello: interrupted", 130, the session as it was; running logout again
// then revokes and deletes.
func TestCtrlCDuringLogoutRevocationKeepsTheSession(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	base := u.cacheBytes()
	_, revokePath := discovered(t, sb, "revocation_endpoint")
	reached := make(chan struct{})
	release := make(chan struct{})
	var held atomic.Bool
	front := failingProvider(t, sb, func(p string) (int, string, http.Header) {
		if p != revokePath || held.Swap(true) {
			return 0, "", nil // the next logout's revocation goes through
		}
		// The first revocation gets no answer while hello runs.
		close(reached)
		<-release
		return 503, `{"error":"temporarily_unavailable"}`, nil
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	path := u.copySession(base, front.URL)
	v := withIssuer(u, front.URL)
	before := mustRead(t, path)

	bg := v.start("logout")
	await(t, bg, reached, "revoking")
	if err := bg.Cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	if r.Code != 130 || !strings.Contains(r.Stderr, "hello: interrupted") {
		t.Errorf("after Ctrl-C: exit %d, stderr %q; want 130 and \"hello: interrupted\"", r.Code, r.Stderr)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != string(before) {
		t.Errorf("the interrupted logout changed or removed the session (%v), whose refresh token was never revoked", err)
	}
	if left := temporary(cacheListing(t, u)); len(left) != 0 {
		t.Errorf("the interrupted logout left %v in the cache directory", left)
	}
	if r := v.run("logout"); r.Code != 0 || !strings.Contains(r.Stderr, "Revoked the refresh token.") {
		t.Fatalf("logout again: exit %d\n%s", r.Code, r.Stderr)
	}
}
