// Package cmd holds hello's Cobra commands: one file per command, each
// reading like its help text; the work is done by the packages under internal/.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// skipConfig marks commands that do not read the client configuration.
const skipConfig = "hello/skip-config"

// armed says whether cmd installs the signal handler (package interrupt).
// The read-only commands do not: they neither change stored state nor,
// with a valid cached token, wait long, so Ctrl-C may end them as it ends
// any program (a renewal, which takes the cache lock, arms itself in
// package session). Every other command, a new one too, is armed; hello
// itself only prints its help or version.
func armed(cmd *cobra.Command) bool {
	if !cmd.HasParent() {
		return false
	}
	for cmd.Parent().HasParent() {
		cmd = cmd.Parent()
	}
	switch cmd.Name() {
	case "messages", "profile", "api", "token", "status", "version", "completion", "help",
		cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
		return false
	}
	return true
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "hello",
		Short: "Sign in through OpenID Connect and call the Hello World API",
		Long: `hello signs you in through OpenID Connect (Auth0 or any compliant provider),
shows your profile, and fetches the public, protected and admin messages of
the Hello World API with your access token.

With no configuration it talks to the local sandbox: run "hello sandbox" in
another terminal, then "hello login".

Configuration, highest precedence first: flags, HELLO_* environment
variables, the config file (./.config, or else $XDG_CONFIG_HOME/hello/config),
built-in defaults. The client secret is read only from HELLO_CLIENT_SECRET
or the config file.

--profile NAME (or HELLO_PROFILE) reads the config file's [profile NAME]
section instead of [AUTH0] and [WEBAPP]; each profile has its own sessions.

` + exitcode.Help,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runnable with Args, so that an unknown command is a typed usage
		// error rather than cobra's untyped text; runnable for --version too.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exitcode.Newf(exitcode.Usage, "unknown command %q for %q\nRun '%s --help' for usage.", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if v, _ := cmd.Flags().GetBool("version"); v {
				return printVersion(f, cmd)
			}
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if armed(cmd) {
				interrupt.Arm(cmd.Context())
			}
			if !cmd.HasParent() {
				return nil // --version and the help need no configuration
			}
			for c := cmd; c != nil; c = c.Parent() {
				if c.Annotations[skipConfig] == "true" {
					return nil
				}
			}
			return loadSettings(f, cmd)
		},
	}
	pf := root.PersistentFlags()
	config.BindFlags(pf)
	pf.BoolVar(&f.Verbose, "verbose", false, "log each HTTP request (method, URL, status, time) on stderr, secrets redacted")
	// Our own flag rather than cobra's: its version string is built on
	// every run, and reading the build information is not free.
	root.Flags().Bool("version", false, `print the version, as "hello version" does`)
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(config.OutputFormats(), cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc(config.FlagTokenStorage, cobra.FixedCompletions(config.TokenStorages(), cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc(config.FlagProfile, completeProfiles(f))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.New(exitcode.Usage, fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath()))
	})

	root.AddCommand(
		NewCmdLogin(f, nil),
		NewCmdSignup(f, nil),
		NewCmdLogout(f, nil),
		NewCmdProfile(f, nil),
		NewCmdMessages(f, nil),
		NewCmdToken(f, nil),
		NewCmdStatus(f, nil),
		NewCmdSandbox(f, nil),
		NewCmdExec(f, nil),
		NewCmdAPI(f, nil),
		NewCmdVersion(f),
	)
	// Cobra's completion command captures its output stream when created.
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	// Help and completion must work even with a broken configuration.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			c.Annotations = map[string]string{skipConfig: "true"}
		}
		if c.Name() == "completion" {
			// `hello completion tcsh` is a usage error, not help and exit 0;
			// cobra shows help for a command that cannot run.
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return exitcode.Newf(exitcode.Usage, "cannot complete for the shell %q: choose bash, zsh, fish or powershell", args[0])
				}
				return nil
			}
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			for _, sub := range c.Commands() {
				sub.Args = noArgs
			}
		}
	}
	return root
}

func loadSettings(f *Factory, cmd *cobra.Command) error {
	s, err := f.Config.Load(cmd.Flags())
	if err != nil {
		return err
	}
	f.Settings = s
	for _, w := range s.Warnings {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", termsafe.Line(w))
	}
	return nil
}

// Execute runs hello with the process arguments and returns its exit code.
func Execute(ctx context.Context, f *Factory) int {
	return ExecuteArgs(ctx, f, nil)
}

// ExecuteArgs runs hello with args (nil: the process arguments), printing
// any error on stderr, and returns the exit code.
func ExecuteArgs(ctx context.Context, f *Factory, args []string) int {
	root := NewCmdRoot(f)
	if args != nil {
		root.SetArgs(args)
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	if code, ok := silentCode(err); ok {
		return code
	}
	code := exitCode(ctx, err)
	// Errors quote servers (descriptions, bodies, claims): the one sink
	// for messages makes them terminal-safe.
	fmt.Fprintln(f.IO.ErrOut, termsafe.Text("hello: "+message(ctx, err)))
	return code
}

// message is the text of err for stderr. The error inside the authenticated
// client is shown as itself: net/http wraps it in the request's method and
// URL, which say nothing to a person.
func message(ctx context.Context, err error) string {
	if ctx.Err() != nil && cancelled(err) {
		// Ctrl-C: the person knows what happened; a wrapped "context
		// canceled" would only confuse.
		return "interrupted"
	}
	var te *session.TokenError
	if errors.As(err, &te) {
		err = te.Err
	}
	return strings.TrimPrefix(err.Error(), "hello: ")
}
