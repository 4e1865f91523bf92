//go:build unix

package childprocess

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Forwarded are the signals passed on to the child: those a supervisor,
// CI runner or user sends to ask a program to stop or reload. SIGTSTP,
// SIGCONT and SIGWINCH are left alone: the terminal sends them to the whole
// foreground process group, the child included.
var Forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2,
}

// deliveredByTerminal reports whether s was, in all likelihood, sent by the
// terminal to hello's whole process group, the child included: Ctrl-C and
// Ctrl-\ while hello is in the terminal's foreground. Forwarding those too
// would make the child see every Ctrl-C twice, which programs such as
// terraform take as "stop now, without cleaning up". A `kill -INT` sent to
// hello alone while it is in the foreground is the one case this misjudges;
// SIGTERM, the supervisor's signal, is always forwarded.
func deliveredByTerminal(s os.Signal) bool {
	if s != syscall.SIGINT && s != syscall.SIGQUIT {
		return false
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		return false // no controlling terminal: CI, a service, setsid
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == syscall.Getpgrp()
}

// statusCode is the child's exit code, or 128+n when signal n ended it, as
// POSIX shells report it in $?.
func statusCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
