package cmd

import (
	"context"
	"fmt"
	"maps"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
)

// ProfileOptions are the inputs of `hello profile`.
type ProfileOptions struct {
	IO   *iostreams.IOStreams
	JSON bool
	// JSONOut prints the profile for -o json and --jq.
	JSONOut output.JSON
	// Entry is the usable cached session (renewed, or a login started).
	Entry func(context.Context) (*tokencache.Entry, error)
	// UserInfo fetches the provider's userinfo with the session's token.
	UserInfo func(context.Context) (map[string]any, error)
}

// NewCmdProfile builds `hello profile`.
func NewCmdProfile(f *Factory, runF func(*ProfileOptions) error) *cobra.Command {
	opts := &ProfileOptions{}
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Show your profile: ID token claims merged with /userinfo",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.JSON, opts.JSONOut, err = f.jsonOutput(cmd); err != nil {
				return err
			}
			opts.IO, opts.Entry, opts.UserInfo = f.IO, f.liveEntry, f.userInfo
			if runF != nil {
				return runF(opts)
			}
			return profileRun(cmd.Context(), opts)
		},
	}
	addJQFlag(cmd)
	return cmd
}

// tokenClaims are the ID token's protocol claims: they describe the token,
// not the person, so text output leaves them out (JSON keeps everything).
var tokenClaims = map[string]bool{
	"iss": true, "aud": true, "exp": true, "iat": true, "nbf": true, "nonce": true,
	"at_hash": true, "c_hash": true, "azp": true, "auth_time": true, "amr": true,
	"acr": true, "sid": true, "jti": true, "sub": true, "name": true, "email": true,
	"email_verified": true, "client_id": true,
}

func profileRun(ctx context.Context, o *ProfileOptions) error {
	e, err := o.Entry(ctx)
	if err != nil {
		return err
	}
	if e.Token.Grant == token.GrantClientCredentials || e.Token.IDToken == "" {
		return exitcode.Newf(exitcode.NoSession, "this session belongs to a machine (client credentials) and has no user profile: run \"hello login\"")
	}
	profile, err := claims.Unverified(e.Token.IDToken)
	if err != nil {
		return fmt.Errorf("read the cached ID token: %w", err)
	}
	info, err := o.UserInfo(ctx)
	if err != nil {
		return err
	}
	// OIDC Core §5.3.2: userinfo about another subject must not be used.
	if sub := claims.String(info, "sub"); sub != claims.String(profile, "sub") {
		return fmt.Errorf("the provider's /userinfo describes subject %q, but the ID token is for %q: refusing to merge them", sub, claims.String(profile, "sub"))
	}
	maps.Copy(profile, info)
	if o.JSON {
		return o.JSONOut.Value(ctx, o.IO.Out, profile)
	}
	email := claims.String(profile, "email")
	if email != "" {
		if v, ok := profile["email_verified"].(bool); ok && v {
			email += " (verified)"
		} else {
			email += " (not verified)"
		}
	}
	fields := []output.Field{
		{Name: "name", Value: claims.String(profile, "name")},
		{Name: "email", Value: email},
		{Name: "sub", Value: claims.String(profile, "sub")},
	}
	for _, k := range output.SortedKeys(profile) {
		if !tokenClaims[k] {
			fields = append(fields, output.Field{Name: k, Value: output.Value(profile[k])})
		}
	}
	return output.WriteFields(o.IO.Out, fields)
}
