package cmd

import (
	"context"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/apiclient"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/output"
)

// MessagesOptions are the inputs of `hello messages`.
type MessagesOptions struct {
	Kind string
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
			if runF != nil {
				return runF(opts)
			}
			return messagesRun(cmd.Context(), f, opts)
		},
	}
	return cmd
}

func messagesRun(ctx context.Context, f *Factory, o *MessagesOptions) error {
	hc, err := f.HTTPClient()
	if err != nil {
		return err
	}
	api := &apiclient.Client{BaseURL: f.Settings.APIURL, HTTP: hc}
	var resp *apiclient.Response
	if !apiclient.NeedsToken(o.Kind) {
		resp, err = api.Message(ctx, o.Kind, "")
	} else {
		resp, err = authorizedMessage(ctx, f, api, o.Kind)
	}
	if err != nil {
		return err
	}
	if err := apiStatusError(resp, o.Kind, f.Settings.APIURL); err != nil {
		return err
	}
	if f.JSON() {
		return output.WriteRawJSON(f.IO.Out, resp.Body)
	}
	text, err := resp.Text()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f.IO.Out, text)
	return err
}

// authorizedMessage calls the API with the session's token; a token the API
// rejects is renewed once and the call retried.
func authorizedMessage(ctx context.Context, f *Factory, api *apiclient.Client, kind string) (*apiclient.Response, error) {
	mgr, e, err := requireSession(ctx, f)
	if err != nil {
		return nil, err
	}
	resp, err := api.Message(ctx, kind, e.AccessToken)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	e, err = mgr.Token(ctx, e.AccessToken)
	if err != nil {
		return nil, err
	}
	return api.Message(ctx, kind, e.AccessToken)
}

func apiStatusError(resp *apiclient.Response, kind, apiURL string) error {
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return nil
	case code == http.StatusUnauthorized:
		return exitcode.Newf(exitcode.NoSession, "the API refused the access token (%s): run \"hello login\"", resp.ErrorMessage())
	case code == http.StatusForbidden:
		return exitcode.Newf(exitcode.Forbidden, "permission denied (%s): the %s message needs the read:admin-messages permission", resp.ErrorMessage(), kind)
	case code >= 500:
		return exitcode.Newf(exitcode.Unavailable, "the API at %s failed: HTTP %d (%s)", apiURL, code, resp.ErrorMessage())
	case code == http.StatusNotFound:
		return fmt.Errorf("the API at %s has no %s message (HTTP 404): check --api-url", apiURL, kind)
	default:
		return fmt.Errorf("the API at %s answered HTTP %d (%s)", apiURL, code, resp.ErrorMessage())
	}
}
