package cmd

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/httperr"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/pkg/termsafe"
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

func profileRun(ctx context.Context, o *ProfileOptions) error {
	e, err := o.Entry(ctx)
	if err != nil {
		return err
	}
	if e.Token.Grant == token.GrantClientCredentials || e.Token.IDToken == "" {
		return exitcode.Newf(exitcode.NoSession, "this session belongs to a machine (client credentials) and has no user profile: run \"hello login\"")
	}
	// The ID token was verified (signature, issuer, audience, nonce) before
	// it was cached, so its claims can stand alone.
	profile, err := claims.Unverified(e.Token.IDToken)
	if err != nil {
		return fmt.Errorf("read the cached ID token: %w", err)
	}
	info, err := o.UserInfo(ctx)
	switch why := userInfoRefused(err); {
	case why != "":
		// Providers whose API tokens are not good at /userinfo (RFC 8707
		// strict ones): the ID token still names the person.
		fmt.Fprintf(o.IO.ErrOut, "The provider's userinfo %s: showing the claims of the ID token verified at login.\n", why)
	case err != nil:
		return err
	default:
		// OIDC Core §5.3.2: userinfo about another subject must not be used.
		if sub := claims.String(info, "sub"); sub != claims.String(profile, "sub") {
			return fmt.Errorf("the provider's /userinfo describes subject %q, but the ID token is for %q: refusing to merge them", sub, claims.String(profile, "sub"))
		}
		maps.Copy(profile, info)
	}
	if o.JSON {
		return o.JSONOut.Value(ctx, o.IO.Out, profile)
	}
	email, verified := claims.Email(profile)
	switch {
	case email == "":
	case verified:
		email += " (verified)"
	default:
		email += " (not verified)"
	}
	fields := []output.Field{
		{Name: "name", Value: claims.String(profile, "name")},
		{Name: "email", Value: email},
		{Name: "sub", Value: claims.String(profile, "sub")},
	}
	// The person's other fields; protocol claims describe the token.
	person := claims.Person(profile)
	for _, k := range output.SortedKeys(person) {
		if k != "name" && k != "email" && k != "email_verified" {
			fields = append(fields, output.Field{Name: k, Value: output.Value(person[k])})
		}
	}
	return output.WriteFields(o.IO.Out, fields)
}

// userInfoRefused says how userinfo refused the session's token ("answered
// HTTP 401 (invalid_token)"), or "" when err is not such a refusal. A
// provider that is down or unreachable is not a refusal: that error stands.
func userInfoRefused(err error) string {
	var he *httperr.Error
	switch {
	case errors.Is(err, oidcclient.ErrNoUserInfo):
		return "endpoint is not advertised"
	case errors.As(err, &he) && he.What == httperr.UserInfo && (he.StatusCode == 401 || he.StatusCode == 403):
		why := fmt.Sprintf("refused the access token (HTTP %d", he.StatusCode)
		if he.Code != "" {
			why += ", " + termsafe.Line(he.Code)
		}
		return why + ")"
	}
	return ""
}
