package e2e

import (
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestSIGTERMAfterTheRefreshAnswerDoesNotWaitForTheKeys: the refresh has
// been answered (the rotated token is in hand) and hello is fetching the
// provider's keys to verify the new ID token when SIGTERM comes. Nothing
// is in flight that the session depends on: the key fetch must stop, the
// answer be saved, and the run end as interrupted, without saying it
// waits for the provider's answer (which would invite the second Ctrl-C
// that kills hello before the answer it holds is saved).
func TestSIGTERMAfterTheRefreshAnswerDoesNotWaitForTheKeys(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("alice@example.com", "alice-password")
	base := u.cacheBytes()
	_, keysPath := discovered(t, sb, "jwks_uri")
	reached := make(chan struct{})
	cancelled := make(chan struct{})
	var fetched atomic.Bool
	front := frontProvider(t, sb, func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if r.URL.Path != keysPath || fetched.Swap(true) {
			return false
		}
		close(reached)
		// The keys never come: only hello giving up ends this request.
		<-r.Context().Done()
		close(cancelled)
		return true
	})
	path := u.copySession(base, front.URL)
	before := mustRead(t, path)
	v := withIssuer(u, front.URL)
	bg := v.start("messages", "protected")
	await(t, bg, reached, "fetching the keys")
	if err := bg.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := bg.Wait(t)
	<-cancelled
	if r.Code != 143 || !strings.Contains(r.Stderr, "hello: interrupted") {
		t.Errorf("after SIGTERM: exit %d, stderr %q; want 143 and \"hello: interrupted\"", r.Code, r.Stderr)
	}
	if strings.Contains(r.Stderr, "waiting for its answer") {
		t.Errorf("hello said it waits for the provider's answer, which it already had; it waited for the keys instead:\n%s", r.Stderr)
	}
	if string(mustRead(t, path)) == string(before) {
		t.Error("the answered refresh was not saved")
	}
}
