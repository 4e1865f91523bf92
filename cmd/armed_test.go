package cmd

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestArmedCommands: the read-only commands leave Ctrl-C to the Go
// runtime; every other one, and any command added later, installs the
// signal handler, subcommands as their top-level command does.
func TestArmedCommands(t *testing.T) {
	t.Parallel()
	root := NewCmdRoot(newHarness(t).f)
	root.AddCommand(&cobra.Command{Use: "future"})
	// cobra adds its hidden completion request commands when it executes.
	root.AddCommand(&cobra.Command{Use: cobra.ShellCompRequestCmd, Hidden: true}, &cobra.Command{Use: cobra.ShellCompNoDescRequestCmd, Hidden: true})
	for path, want := range map[string]bool{
		"":                 false,
		"messages":         false,
		"profile":          false,
		"api":              false,
		"token":            false,
		"status":           false,
		"version":          false,
		"help":             false,
		"completion":       false,
		"completion bash":  false,
		"__complete":       false,
		"__completeNoDesc": false,
		"login":            true,
		"signup":           true,
		"logout":           true,
		"sandbox":          true,
		"exec":             true,
		"future":           true,
	} {
		c := root
		if path != "" {
			var err error
			c, _, err = root.Find(strings.Fields(path))
			if err != nil || c == root {
				t.Fatalf("no command %q: %v", path, err)
			}
		}
		if got := armed(c); got != want {
			t.Errorf("armed(%q) = %v, want %v", path, got, want)
		}
	}
}
