package cmd

import (
	"github.com/spf13/cobra"
)

// NewCmdSignup builds `hello signup`.
func NewCmdSignup(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := newLoginOptions(f)
	opts.Signup = true
	cmd := &cobra.Command{
		Use:   "signup",
		Short: "Create an account with the provider and log in",
		Long: `Like "hello login", but the browser opens on the provider's sign-up screen
(screen_hint=signup for Auth0, prompt=create where the provider supports it).`,
		Args: noArgs,
		RunE: runLogin(opts, runF),
	}
	addLoginFlags(cmd, opts)
	return cmd
}
