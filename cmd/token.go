package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// TokenOptions are the inputs of `hello token`.
type TokenOptions struct {
	IDToken bool

	IO   *iostreams.IOStreams
	JSON bool
	// JSONOut prints the token for -o json and --jq.
	JSONOut output.JSON
	Now     func() time.Time
	// Token hands out a usable token from the session.
	Token func(context.Context, session.Want) (*token.Token, error)
}

// NewCmdToken builds `hello token`.
func NewCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the access token (renewed first if needed)",
		Long: `Print the access token alone on stdout, renewing it first when it has
expired. This is the only command that prints a token.`,
		Example: `  curl -H "Authorization: Bearer $(hello token)" ` + config.DefaultAPIURL + `/api/messages/protected`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.JSON, opts.JSONOut, err = f.jsonOutput(cmd); err != nil {
				return err
			}
			opts.IO, opts.Now, opts.Token = f.IO, f.Now, f.tokens
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.IDToken, "id-token", false, "print the ID token instead")
	addJQFlag(cmd)
	return cmd
}

func tokenRun(ctx context.Context, o *TokenOptions) error {
	t, err := o.Token(ctx, session.Want{})
	if err != nil {
		return err
	}
	tok := t.AccessToken
	if o.IDToken {
		if idTokenExpired(t.IDToken, o.Now()) && t.RefreshToken != "" {
			// ID tokens are short-lived; a refresh brings a new one.
			if t, err = o.Token(ctx, session.Want{Stale: t.AccessToken}); err != nil {
				return err
			}
		}
		tok = t.IDToken
		if tok == "" {
			return exitcode.Newf(exitcode.NoSession, "this session has no ID token (it was made with %s): run \"hello login\"", t.Grant)
		}
	}
	if o.JSON {
		kind := "access_token"
		if o.IDToken {
			kind = "id_token"
		}
		return o.JSONOut.Value(ctx, o.IO.Out, map[string]any{kind: tok, "token_type": "Bearer", "expiry": t.Expiry})
	}
	// A real token is printable ASCII and passes unchanged; a provider
	// sending escape sequences instead gets them shown, not obeyed.
	_, err = fmt.Fprintln(o.IO.Out, termsafe.Line(tok))
	return err
}

// idTokenExpired reports whether the ID token's exp has passed.
func idTokenExpired(raw string, now time.Time) bool {
	c, err := claims.Unverified(raw)
	if err != nil {
		return false
	}
	exp, ok := c["exp"].(float64)
	return ok && now.After(time.Unix(int64(exp), 0))
}
