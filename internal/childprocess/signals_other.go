//go:build !unix

package childprocess

import "os"

// Forwarded is Ctrl-C only: Windows delivers console control events to every
// process attached to the console, the child included, so hello only has to
// stay alive (not die before its child) while the child handles it.
var Forwarded = []os.Signal{os.Interrupt}

// deliveredByTerminal is always true here: the console already told the child.
func deliveredByTerminal(os.Signal) bool { return true }

// statusCode is the child's exit code.
func statusCode(ps *os.ProcessState) int { return ps.ExitCode() }
