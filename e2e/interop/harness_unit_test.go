package interop

import "testing"

// TestMustRunHere: the suite skips where it cannot run unless CI says it
// must run, with CI read as hello reads it.
func TestMustRunHere(t *testing.T) {
	t.Parallel()
	for ci, want := range map[string]bool{
		"": false, "false": false, "0": false, "no": false, "FALSE": false,
		"true": true, "1": true, "yes": true, "github-actions": true,
	} {
		if got := mustRunHere(ci); got != want {
			t.Errorf("CI=%q: must run = %v, want %v", ci, got, want)
		}
	}
}
