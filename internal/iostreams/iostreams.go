// Package iostreams holds the standard streams and what is known about them:
// whether each is a terminal, whether we run in CI, whether colour is wanted.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes. Data goes to Out,
// everything else (progress, hints, prompts, browser noise) to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	ci        bool
}

// System returns the process's streams with their terminal state detected.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		ci:        IsCI(os.Getenv("CI")),
	}
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// SetTTY forces the terminal state of all three streams (tests).
func (s *IOStreams) SetTTY(tty bool) { s.stdinTTY, s.stdoutTTY, s.stderrTTY = tty, tty, tty }

// IsStdoutTTY reports whether data goes to a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether messages go to a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CI reports whether the CI variable says nobody is at the keyboard.
func (s *IOStreams) CI() bool { return s.ci }

// Interactive reports whether a person can answer: stdin and stdout are a
// terminal and we are not in CI. Only then may hello prompt or start a login
// on its own.
func (s *IOStreams) Interactive() bool { return s.stdinTTY && s.stdoutTTY && !s.ci }

// IsCI interprets the CI environment variable the way CI services set it.
func IsCI(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
