//go:build floor_hello

package main

// The floor with every package of hello linked in: all of hello's start-up
// before main, and the floor's work after it.
import _ "github.com/hello-cli/hello/cmd"
