package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/output"
)

// TokenOptions are the inputs of `hello token`.
type TokenOptions struct {
	IDToken bool
}

// NewCmdToken builds `hello token`.
func NewCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the access token (renewed first if needed)",
		Long: `Print the access token alone on stdout, renewing it first when it has
expired. This is the only command that prints a token.`,
		Example: `  curl -H "Authorization: Bearer $(hello token)" http://localhost:6060/api/messages/protected`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.IDToken, "id-token", false, "print the ID token instead")
	return cmd
}

func tokenRun(ctx context.Context, f *Factory, o *TokenOptions) error {
	mgr, e, err := requireSession(ctx, f)
	if err != nil {
		return err
	}
	tok := e.AccessToken
	if o.IDToken {
		if idTokenExpired(e.IDToken, f.Now()) && e.RefreshToken != "" {
			// ID tokens are short-lived; a refresh brings a new one.
			if e, err = mgr.Token(ctx, e.AccessToken); err != nil {
				return err
			}
		}
		tok = e.IDToken
		if tok == "" {
			return exitcode.Newf(exitcode.NoSession, "this session has no ID token (it was made with %s): run \"hello login\"", e.Grant)
		}
	}
	if f.JSON() {
		kind := "access_token"
		if o.IDToken {
			kind = "id_token"
		}
		return output.WriteJSON(f.IO.Out, map[string]any{kind: tok, "token_type": "Bearer", "expiry": e.Expiry})
	}
	_, err = fmt.Fprintln(f.IO.Out, tok)
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
