// Command hello signs you in through OpenID Connect and calls the Hello World API.
package main

import (
	"context"
	"os"

	"github.com/hello-cli/hello/cmd"
	"github.com/hello-cli/hello/internal/interrupt"
)

func main() {
	ctx, stop := interrupt.Notify(context.Background())
	code := cmd.Execute(ctx, cmd.NewFactory())
	stop()
	os.Exit(code)
}
