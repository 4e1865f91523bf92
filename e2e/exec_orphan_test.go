package e2e

import (
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestExecChildEndsWhenHelloIsKilled: SIGKILL cannot be caught, so hello
// cannot forward it; the child, which holds the access token, must not live
// on as an orphan. On Linux it gets SIGTERM the moment hello dies.
//
// The child gives up by itself after 30s, so that without the fix it
// neither hangs the test nor outlives it: it then prints no "got-term".
func TestExecChildEndsWhenHelloIsKilled(t *testing.T) {
	t.Parallel()
	needSh(t)
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	sb := startSandbox(t)
	u := newUser(t, sb)
	u.login("bob@example.com", "bob-password")
	bg := u.start("exec", "--", "sh", "-c",
		`trap 'echo got-term; exit 0' TERM; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo orphan`)
	waitStdout(t, bg, "ready\n")
	if err := bg.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The child shares hello's stdout: the result comes once both are gone.
	r := bg.Wait(t)
	if !strings.Contains(r.Stdout, "got-term") || strings.Contains(r.Stdout, "orphan") {
		t.Errorf("the child outlived hello: stdout %q", r.Stdout)
	}
}
