package cmd

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/childprocess"
	"github.com/hello-cli/hello/internal/tokenformat"
)

// TokenOptions are the inputs of `hello token`.
type TokenOptions struct {
	IDToken bool
	// Format is --format: raw, header, env or json; "" means raw, or json
	// with -o json.
	Format  string
	EnvName string
	MinTTL  time.Duration
}

// NewCmdToken builds `hello token`.
func NewCmdToken(f *Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the access token (renewed first if needed)",
		Long: `Print the access token on stdout, renewing it first when it has expired
(or when less than --min-ttl of its lifetime remains). This is the only
command that prints a token. --format chooses its shape:
  raw     the token alone (the default)
  header  "Authorization: Bearer <token>", for curl -H @-
  env     "export HELLO_ACCESS_TOKEN='<token>'" (--env names the variable), for eval
  json    the token, its type, expiry, seconds left and scopes`,
		Example: `  hello token --format header | curl -H @- http://localhost:6060/api/messages/protected
  eval "$(hello token --format env --min-ttl 10m)"
  hello token --format json | jq -r .expiry`,
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
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.IDToken, "id-token", false, "print the ID token instead")
	cmd.Flags().StringVar(&opts.Format, "format", "", "output shape: raw, header, env or json (default raw, json with -o json)")
	cmd.Flags().StringVar(&opts.EnvName, "env", DefaultTokenEnv, "variable name for --format env")
	minTTLFlag(cmd, &opts.MinTTL)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(tokenformat.Formats(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("env", cobra.FixedCompletions([]string{DefaultTokenEnv, "TOKEN", "ACCESS_TOKEN"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func tokenRun(ctx context.Context, f *Factory, o *TokenOptions) error {
	mgr, e, err := tokenWithin(ctx, f, o.MinTTL)
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
	format := o.Format
	if format == "" {
		format = tokenformat.Raw
		if f.JSON() {
			format = tokenformat.JSON
		}
	}
	t := tokenformat.Token{Value: tok, Type: e.TokenType, Expiry: e.Expiry, Scopes: e.Scopes, EnvName: o.EnvName}
	if o.IDToken {
		// An ID token has its own lifetime and no scopes.
		t.Type, t.Scopes, t.Expiry = "Bearer", nil, idTokenExpiry(e.IDToken)
	}
	if len(t.Scopes) == 0 && !o.IDToken {
		if c, err := claims.Unverified(e.AccessToken); err == nil {
			t.Scopes = strings.Fields(claims.String(c, "scope"))
		}
	}
	return tokenformat.Write(f.IO.Out, format, t, f.Now())
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
	c, err := claims.Unverified(raw)
	if err != nil {
		return false
	}
	exp, ok := c["exp"].(float64)
	return ok && now.After(time.Unix(int64(exp), 0))
}
