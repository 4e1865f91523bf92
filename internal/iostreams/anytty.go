package iostreams

// AnyTTY reports whether any of the three streams is a terminal: a person
// who redirected only stdout or stderr (hello login 2>log) is still there.
func (s *IOStreams) AnyTTY() bool { return s.stdinTTY || s.stdoutTTY || s.stderrTTY }
