//go:build floor_cobra || floor_all

package main

// The floor with cobra linked in (the design card's command framework):
// its packages initialise before main, as in hello, and nothing of it runs.
import _ "github.com/spf13/cobra"
