package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/childprocess"
	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokenformat"
)

// TokenOptions are the inputs of `hello token`.
type TokenOptions struct {
	IDToken bool
	// Format is --format: raw, header, env or json; "" means raw, or json
	// with -o json or --jq.
	Format  string
	EnvName string
	MinTTL  time.Duration

	IO   *iostreams.IOStreams
	JSON bool
	// JSONOut prints the token for --format json, -o json and --jq.
	JSONOut output.JSON
	Now     func() time.Time
	// Token hands out a usable token from the session.
	Token func(context.Context, session.Want) (*token.Token, error)
}

// NewCmdToken builds `hello token`.
func NewCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{EnvName: DefaultTokenEnv}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the access token (renewed first if needed)",
		Long: `Print the access token on stdout, renewing it first when it has expired
(or when less than --min-ttl of its lifetime remains). This is the only
command that prints a token. --format chooses its shape:
  raw     the token alone (the default)
  header  "Authorization: Bearer <token>", for curl -H @-
  env     "export HELLO_ACCESS_TOKEN='<token>'" for eval (--env names the variable)
  json    the token, its type, expiry, seconds left and scopes (also -o json, --jq)`,
		Example: `  hello token --format header | curl -H @- ` + config.DefaultAPIURL + `/api/messages/protected
  eval "$(hello token --format env --min-ttl 10m)"
  hello token --jq .expires_in`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Format != "" && !tokenformat.Valid(opts.Format) {
				return exitcode.Newf(exitcode.Usage, "bad --format %q: expected one of %s", opts.Format, strings.Join(tokenformat.Formats(), ", "))
			}
			if !childprocess.ValidName(opts.EnvName) {
				return exitcode.Newf(exitcode.Usage, "bad --env %q: a variable name is letters, digits and underscores, not starting with a digit", opts.EnvName)
			}
			if err := checkMinTTL(opts.MinTTL); err != nil {
				return err
			}
			var err error
			if opts.JSON, opts.JSONOut, err = f.jsonOutput(cmd); err != nil {
				return err
			}
			if opts.JSONOut.Filter != nil && opts.Format != "" && opts.Format != tokenformat.JSON {
				return exitcode.Newf(exitcode.Usage, "--jq filters JSON: it cannot be used with --format %s", opts.Format)
			}
			opts.IO, opts.Now, opts.Token = f.IO, f.Now, f.tokens
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.IDToken, "id-token", false, "print the ID token instead")
	cmd.Flags().StringVar(&opts.Format, "format", "", "output shape: raw, header, env or json (default raw, or json with -o json)")
	cmd.Flags().StringVar(&opts.EnvName, "env", opts.EnvName, "variable that --format env assigns")
	minTTLFlag(cmd, &opts.MinTTL)
	addJQFlag(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(tokenformat.Formats(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("env", envNameCompletion)
	return cmd
}

func tokenRun(ctx context.Context, o *TokenOptions) error {
	t, err := tokenWithin(ctx, o.Token, o.Now, o.MinTTL)
	if err != nil {
		return err
	}
	tok := t.AccessToken
	if o.IDToken {
		if t.IDToken != "" && idTokenExpired(t.IDToken, o.Now()) {
			if t.RefreshToken == "" {
				return exitcode.Newf(exitcode.NoSession, "the ID token has expired and this session cannot renew it (it has no refresh token): run \"hello login\" for a new one")
			}
			// ID tokens are short-lived; a refresh brings a new one.
			if t, err = o.Token(ctx, session.Want{Stale: t.AccessToken}); err != nil {
				return err
			}
			if idTokenExpired(t.IDToken, o.Now()) {
				return expiredIDTokenError(ctx, t)
			}
		}
		tok = t.IDToken
		if tok == "" {
			return exitcode.Newf(exitcode.NoSession, "this session has no ID token (it was made with %s): run \"hello login\"", t.Grant)
		}
	}
	format := o.Format
	if format == "" {
		format = tokenformat.Raw
		if o.JSON {
			format = tokenformat.JSON
		}
	}
	out := tokenformat.Token{Value: tok, Type: t.TokenType, Expiry: t.Expiry, Scopes: t.Scopes, EnvName: o.EnvName}
	if o.IDToken {
		// An ID token has its own lifetime and no scopes.
		out.ID, out.Type, out.Scopes, out.Expiry = true, "Bearer", nil, idTokenExpiry(t.IDToken)
	} else if len(out.Scopes) == 0 {
		if c, err := claims.Unverified(t.AccessToken); err == nil {
			out.Scopes = strings.Fields(claims.String(c, "scope"))
		}
	}
	if format == tokenformat.JSON {
		// Through the JSON printer, so that --jq applies.
		v, err := tokenformat.JSONValue(out, o.Now())
		if err != nil {
			return err
		}
		return o.JSONOut.Value(ctx, o.IO.Out, v)
	}
	// Every other shape refuses a token with control characters: a real
	// token is printable ASCII, and anything else would be obeyed by the
	// terminal or the next program's parser.
	return tokenformat.Write(o.IO.Out, format, out, o.Now())
}

// expiredIDTokenError says why the renewal that should have replaced an
// expired ID token did not: the session itself was renewed and saved, only
// its ID token is still the old one, which is never printed.
func expiredIDTokenError(ctx context.Context, t *token.Token) error {
	if bad := t.IDTokenRejected; bad != nil {
		if ctx.Err() != nil && cancelled(bad) {
			// Ctrl-C while the new ID token's keys were fetched: nothing
			// failed verification, the run was interrupted.
			return bad
		}
		if exitCode(ctx, bad) == exitcode.Unavailable {
			return exitcode.New(exitcode.Unavailable, fmt.Errorf("the ID token has expired and the new one could not be verified now, so none is printed: try again later (%w)", bad))
		}
		return exitcode.New(exitcode.NoSession, fmt.Errorf("the ID token has expired and the new one the provider sent failed verification, so none is printed: run \"hello login\" for a verified one (%w)", bad))
	}
	return exitcode.Newf(exitcode.NoSession, "the ID token has expired and renewing the session brought no new one, so none is printed: run \"hello login\" for a fresh one")
}

// idTokenExpiry is the ID token's exp, zero when it has none.
func idTokenExpiry(raw string) time.Time {
	c, err := claims.Unverified(raw)
	if err != nil {
		return time.Time{}
	}
	if exp, ok := c["exp"].(float64); ok {
		return time.Unix(int64(exp), 0)
	}
	return time.Time{}
}

// idTokenExpired reports whether the ID token's exp has passed.
func idTokenExpired(raw string, now time.Time) bool {
	exp := idTokenExpiry(raw)
	return !exp.IsZero() && now.After(exp)
}
