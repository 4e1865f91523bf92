package e2e

import (
	"testing"

	"github.com/hello-cli/hello/internal/iostreams"
)

// mustRunHere reports whether tests that need an outside program (Chromium,
// dbus-daemon and gnome-keyring, script) must fail, not skip, when it is
// missing: under CI, which installs them (.ci/run), read as hello itself
// reads CI, so that CI=false or CI=0 on a developer's machine skips like an
// unset CI. The interop suite (e2e/interop) decides the same way.
func mustRunHere(ci string) bool { return iostreams.IsCI(ci) }

// TestMustRunHere: CI=false and friends skip like an unset CI; any other
// value, as CI services set it, makes missing programs a failure.
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
