//go:build !linux

package childprocess

import "syscall"

// endWithParent is Linux's parent-death signal; elsewhere there is none, and
// a child of a hello killed with SIGKILL lives on.
func endWithParent() *syscall.SysProcAttr { return nil }
