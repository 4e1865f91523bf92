package childprocess

import "syscall"

// endWithParent asks the kernel to send the child SIGTERM when hello dies.
// Signals hello receives are forwarded, but SIGKILL (a CI runner's timeout,
// the OOM killer) cannot be caught: without this the child, which holds the
// access token, would run on as an orphan. SIGTERM, not SIGKILL, so that it
// can still clean up, as when hello forwards a SIGTERM.
//
// The kernel ties this to the thread that started the child; the Go runtime
// only ends a thread whose goroutine exits while locked to it, which
// nothing in hello does.
func endWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
