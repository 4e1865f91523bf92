//go:build floor_sandbox || floor_all

package main

// The floor with the embedded sandbox linked in (hello sandbox: the OpenID
// provider, its storage and the Hello World API).
import _ "github.com/hello-cli/hello/internal/sandbox"
