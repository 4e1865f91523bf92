package iostreams

import "testing"

func TestIsCI(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "FALSE": false, "no": false, "true": true, "1": true, "yes": true, "woodpecker": true} {
		if got := IsCI(v); got != want {
			t.Errorf("IsCI(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestInteractive(t *testing.T) {
	t.Parallel()
	s, _, _, _ := Test()
	if s.Interactive() {
		t.Error("test streams are interactive")
	}
	s.SetTTY(true)
	if !s.Interactive() {
		t.Error("a terminal is not interactive")
	}
	s.ci = true
	if s.Interactive() {
		t.Error("CI is interactive")
	}
}
