// Command hello signs you in through OpenID Connect and calls the Hello World API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hello-cli/hello/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Execute(ctx, cmd.NewFactory())
	stop()
	os.Exit(code)
}
