package interop

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel stop cmd when the test process dies without
// running its cleanups (a -timeout panic, a kill): hello's API server does
// not watch its stdin as the provider does, and would be left behind.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
