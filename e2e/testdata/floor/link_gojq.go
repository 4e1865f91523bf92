//go:build floor_gojq || floor_all

package main

// The floor with gojq linked in (--jq): its init builds every jq builtin.
import _ "github.com/itchyny/gojq"
