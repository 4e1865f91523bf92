//go:build floor_viper || floor_all

package main

// The floor with viper linked in (the design card's configuration library,
// with the format packages it always brings).
import _ "github.com/spf13/viper"
