package cmd

import (
	"github.com/spf13/cobra"
)

// NewCmdSignup builds `hello signup`.
func NewCmdSignup(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{Port: defaultPort, Timeout: defaultLoginTimeout, Signup: true}
	cmd := &cobra.Command{
		Use:   "signup",
		Short: "Create an account with the provider and log in",
		Long: `Like "hello login", but the browser opens on the provider's sign-up screen
(screen_hint=signup for Auth0, prompt=create where the provider supports it).`,
		Args: noArgs,
		RunE: runLogin(f, opts, runF),
	}
	addLoginFlags(cmd, opts)
	return cmd
}
