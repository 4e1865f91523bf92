package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/output"
)

// ProfileOptions are the inputs of `hello profile`.
type ProfileOptions struct{}

// NewCmdProfile builds `hello profile`.
func NewCmdProfile(f *Factory, runF func(*ProfileOptions) error) *cobra.Command {
	opts := &ProfileOptions{}
	return &cobra.Command{
		Use:   "profile",
		Short: "Show your profile: ID token claims merged with /userinfo",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return profileRun(cmd.Context(), f)
		},
	}
}

// tokenClaims are the ID token's protocol claims: they describe the token,
// not the person, so text output leaves them out (JSON keeps everything).
var tokenClaims = map[string]bool{
	"iss": true, "aud": true, "exp": true, "iat": true, "nbf": true, "nonce": true,
	"at_hash": true, "c_hash": true, "azp": true, "auth_time": true, "amr": true,
	"acr": true, "sid": true, "jti": true, "sub": true, "name": true, "email": true,
	"email_verified": true, "client_id": true,
}

func profileRun(ctx context.Context, f *Factory) error {
	mgr, e, err := requireSession(ctx, f)
	if err != nil {
		return err
	}
	if e.Grant == oidcclient.GrantClientCredentials || e.IDToken == "" {
		return exitcode.Newf(exitcode.NoSession, "this session belongs to a machine (client credentials) and has no user profile: run \"hello login\"")
	}
	profile, err := claims.Unverified(e.IDToken)
	if err != nil {
		return fmt.Errorf("read the cached ID token: %w", err)
	}
	client, err := f.AuthClient(ctx)
	if err != nil {
		return err
	}
	info, err := client.UserInfo(ctx, e.AccessToken)
	var oauthErr *oidcclient.OAuthError
	if errors.As(err, &oauthErr) && oauthErr.StatusCode == http.StatusUnauthorized {
		// The provider no longer honours the token (revoked, or the
		// provider restarted): renew it once, as for the API.
		if e, err = mgr.Token(ctx, e.AccessToken); err != nil {
			return err
		}
		info, err = client.UserInfo(ctx, e.AccessToken)
	}
	if err != nil {
		return fmt.Errorf("fetch /userinfo: %w", err)
	}
	// OIDC Core §5.3.2: userinfo about another subject must not be used.
	if sub := claims.String(info, "sub"); sub != claims.String(profile, "sub") {
		return fmt.Errorf("the provider's /userinfo describes subject %q, but the ID token is for %q: refusing to merge them", sub, claims.String(profile, "sub"))
	}
	for k, v := range info {
		profile[k] = v
	}
	if f.JSON() {
		return output.WriteJSON(f.IO.Out, profile)
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
	return output.WriteFields(f.IO.Out, fields)
}
