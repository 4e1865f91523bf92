// Command hello signs you in through OpenID Connect and calls the Hello World API.
package main

import (
	"context"
	"os"
	"syscall"

	"github.com/hello-cli/hello/cmd"
	"github.com/hello-cli/hello/internal/interrupt"
)

func main() {
	ctx, stop := interrupt.Context(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Execute(ctx, cmd.NewFactory())
	stop()
	os.Exit(code)
}
