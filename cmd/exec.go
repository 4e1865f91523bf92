package cmd

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/childprocess"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
)

// DefaultTokenEnv is the variable hello exec puts the access token in.
const DefaultTokenEnv = "HELLO_ACCESS_TOKEN"

// apiURLEnv is the variable hello exec puts the API URL in.
const apiURLEnv = "HELLO_API_URL"

// profileEnv names the profile in use in the command's environment, so that
// a hello run by the command uses the same profile: HELLO_API_URL (which a
// nested hello reads as its own API URL) is this profile's, and the default
// profile's token must not be sent there.
const profileEnv = "HELLO_PROFILE"

// ExecOptions are the inputs of `hello exec`.
type ExecOptions struct {
	EnvName string
	MinTTL  time.Duration
	Command []string

	IO     *iostreams.IOStreams
	APIURL string
	// Profile is the name of the profile in use ("default" included).
	Profile string
	Now     func() time.Time
	// Token hands out a usable token from the session.
	Token func(context.Context, session.Want) (*token.Token, error)
	// Environ is the environment the command starts from.
	Environ func() []string
	// Run runs the command; childprocess.Run for real.
	Run func(childprocess.Command) (int, error)
}

// NewCmdExec builds `hello exec`.
func NewCmdExec(f *Factory, runF func(*ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{EnvName: DefaultTokenEnv}
	cmd := &cobra.Command{
		Use:   "exec [--env NAME] [--min-ttl DURATION] -- COMMAND [ARG...]",
		Short: "Run a command with the access token in its environment",
		Long: `Run COMMAND with the access token in the environment variable NAME
(default HELLO_ACCESS_TOKEN), the API URL in HELLO_API_URL and the profile
in HELLO_PROFILE (so a hello run by COMMAND uses the same one). The token is
never put in any command line, where other users could read it with ps.
It is renewed first when it has expired, or when less than --min-ttl of its
lifetime remains; it is not renewed while the command runs.

Standard input, output and error are the command's; signals sent to hello
(SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) are passed on to it. A
Ctrl-C typed at the terminal reaches the command directly, and only once.
hello exits with the command's exit code, 128+N when signal N ended it, 127
when it was not found and 126 when it could not be run. Before the command
runs, hello's own failures have hello's exit codes (4: not logged in).`,
		Example: `  hello exec -- sh -c 'curl -H "Authorization: Bearer $HELLO_ACCESS_TOKEN" "$HELLO_API_URL/api/messages/protected"'
  hello exec --env TOKEN --min-ttl 30m -- ./deploy.sh`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitcode.Newf(exitcode.Usage, "no command given: hello exec -- COMMAND [ARG...]\nRun '%s --help' for usage.", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Command = args
			if !childprocess.ValidName(opts.EnvName) {
				return exitcode.Newf(exitcode.Usage, "bad --env %q: a variable name is letters, digits and underscores, not starting with a digit", opts.EnvName)
			}
			if opts.EnvName == apiURLEnv {
				return exitcode.Newf(exitcode.Usage, "bad --env %s: that variable holds the API URL; choose another name", apiURLEnv)
			}
			if opts.EnvName == profileEnv {
				return exitcode.Newf(exitcode.Usage, "bad --env %s: that variable names the profile in use; choose another name", profileEnv)
			}
			if reservedEnv(opts.EnvName) {
				return exitcode.Newf(exitcode.Usage, "bad --env %s: the command and its shell need that variable; choose another name, such as TOKEN", opts.EnvName)
			}
			if err := checkMinTTL(opts.MinTTL); err != nil {
				return err
			}
			opts.IO, opts.APIURL, opts.Now, opts.Token = f.IO, f.Settings.APIURL, f.Now, f.tokens
			opts.Profile = f.Settings.ProfileName()
			opts.Environ, opts.Run = os.Environ, childprocess.Run
			if runF != nil {
				return runF(opts)
			}
			return execRun(cmd.Context(), opts)
		},
	}
	// Everything after COMMAND is COMMAND's: `hello exec curl -v` passes -v on.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&opts.EnvName, "env", opts.EnvName, "environment variable that receives the access token")
	minTTLFlag(cmd, &opts.MinTTL)
	_ = cmd.RegisterFlagCompletionFunc("env", envNameCompletion)
	// COMMAND and its arguments: programs and files, as the shell finds them.
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return cmd
}

func execRun(ctx context.Context, o *ExecOptions) error {
	t, err := tokenWithin(ctx, o.Token, o.Now, o.MinTTL)
	if err != nil {
		return err
	}
	// A Ctrl-C or SIGTERM that came while the token was renewed found no
	// child to forward it to: stop here (130, 143) rather than start a
	// command that would never hear of it.
	if err := ctx.Err(); err != nil {
		return err
	}
	code, err := o.Run(childprocess.Command{
		Name: o.Command[0],
		Args: o.Command[1:],
		Env:  o.Environ(),
		Set: []childprocess.Var{
			{Name: o.EnvName, Value: t.AccessToken},
			{Name: apiURLEnv, Value: o.APIURL},
			{Name: profileEnv, Value: o.Profile},
		},
		Stdin:  o.IO.In,
		Stdout: o.IO.Out,
		Stderr: o.IO.ErrOut,
	})
	var se *childprocess.StartError
	if errors.As(err, &se) {
		return exitcode.New(se.ExitCode(), se)
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &childExit{code: code}
	}
	return nil
}

// reservedEnv reports whether name is a variable that programs and shells
// rely on, so that replacing it with a token would break the command or
// change what it runs (PATH, the dynamic loader's variables, a shell's
// start-up files).
func reservedEnv(name string) bool {
	switch strings.ToUpper(name) {
	case "PATH", "HOME", "SHELL", "PWD", "IFS", "ENV", "BASH_ENV", "TMPDIR", "TERM", "USER", "LANG":
		return true
	}
	upper := strings.ToUpper(name)
	return strings.HasPrefix(upper, "LD_") || strings.HasPrefix(upper, "DYLD_") || strings.HasPrefix(upper, "LC_")
}
