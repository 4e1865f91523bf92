package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// MessageAPI fetches one message; *apiclient.Client is one.
type MessageAPI interface {
	Message(ctx context.Context, kind string) (*apiclient.Response, error)
}

// MessagesOptions are the inputs of `hello messages`.
type MessagesOptions struct {
	Kind string

	IO   *iostreams.IOStreams
	JSON bool
	// JSONOut prints the body for -o json and --jq.
	JSONOut output.JSON
	// API returns the client for kind: for protected and admin, one whose
	// requests carry (and renew) the session's access token.
	API func(ctx context.Context, kind string) (MessageAPI, error)
}

// NewCmdMessages builds `hello messages public|protected|admin`.
func NewCmdMessages(f *Factory, runF func(*MessagesOptions) error) *cobra.Command {
	opts := &MessagesOptions{}
	cmd := &cobra.Command{
		Use:   "messages public|protected|admin",
		Short: "Fetch a message from the Hello World API",
		Long: `Fetch GET {api}/api/messages/{kind}. protected and admin send your access
token (renewed first when it has expired); admin also needs the
read:admin-messages permission.`,
		Example: `  hello messages public
  hello messages admin -o json`,
		ValidArgs: apiclient.Kinds,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || !apiclient.ValidKind(args[0]) {
				return exitcode.Newf(exitcode.Usage, "expected one of public, protected, admin\nRun '%s --help' for usage.", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind = args[0]
			var err error
			if opts.JSON, opts.JSONOut, err = f.jsonOutput(cmd); err != nil {
				return err
			}
			opts.IO, opts.API = f.IO, f.messageAPI
			if runF != nil {
				return runF(opts)
			}
			return messagesRun(cmd.Context(), opts)
		},
	}
	addJQFlag(cmd)
	return cmd
}

func messagesRun(ctx context.Context, o *MessagesOptions) error {
	api, err := o.API(ctx, o.Kind)
	if err != nil {
		return err
	}
	resp, err := api.Message(ctx, o.Kind)
	if err != nil {
		return err
	}
	if o.JSON {
		// -o json is JSON or an error, never the body whatever it is.
		if err := resp.CheckJSON(); err != nil {
			return err
		}
		return o.JSONOut.Document(ctx, o.IO.Out, resp.Body)
	}
	text, err := resp.Text()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(o.IO.Out, termsafe.Text(text))
	return err
}
