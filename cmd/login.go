package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
)

// LoginOptions are the inputs of login and signup.
type LoginOptions struct {
	IO                *iostreams.IOStreams
	Port              int
	Timeout           time.Duration
	NoBrowser         bool
	Device            bool
	ClientCredentials bool
	Signup            bool

	Browser        webbrowser.Browser
	CanOpenBrowser func() bool
	AuthClient     func(context.Context) (*oidcclient.Client, error)
	Session        func() (*session.Manager, error)
}

func newLoginOptions(f *Factory) *LoginOptions {
	return &LoginOptions{
		IO:             f.IO,
		Port:           4040,
		Timeout:        5 * time.Minute,
		Browser:        f.Browser,
		CanOpenBrowser: f.CanOpenBrowser,
		AuthClient:     f.AuthClient,
		Session:        f.Session,
	}
}

// NewCmdLogin builds `hello login`.
func NewCmdLogin(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := newLoginOptions(f)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in through the browser (or a device code, or client credentials)",
		Long: `Log in with the authorization code flow and PKCE: hello opens your browser
on the provider's login page and listens on http://localhost:4040/callback
(loopback only) for the answer.

With no browser on this machine (SSH, a Linux box without a display) hello
uses the device flow instead: open the printed URL on any device and type
the code. --no-browser keeps the browser flow and only prints the URL.

Machines use --client-credentials with the client secret from
HELLO_CLIENT_SECRET or the config file.`,
		Example: `  hello login
  hello login --no-browser
  hello login --device
  HELLO_CLIENT_SECRET=... hello login --client-credentials`,
		Args: noArgs,
		RunE: runLogin(opts, runF),
	}
	addLoginFlags(cmd, opts)
	cmd.Flags().BoolVar(&opts.Device, "device", false, "use the device authorization flow (RFC 8628)")
	cmd.Flags().BoolVar(&opts.ClientCredentials, "client-credentials", false, "use the client credentials grant (machines, CI)")
	return cmd
}

// runLogin is the RunE of login and signup.
func runLogin(opts *LoginOptions, runF func(*LoginOptions) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := opts.validate(); err != nil {
			return err
		}
		if runF != nil {
			return runF(opts)
		}
		_, err := loginRun(cmd.Context(), opts)
		return err
	}
}

func addLoginFlags(cmd *cobra.Command, opts *LoginOptions) {
	fs := cmd.Flags()
	fs.IntVar(&opts.Port, "port", opts.Port, "port of the loopback callback server (0 picks a free one)")
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "how long to wait for the browser")
	fs.BoolVar(&opts.NoBrowser, "no-browser", false, "print the login URL instead of opening a browser")
}

func (o *LoginOptions) validate() error {
	if err := checkPort(o.Port); err != nil {
		return err
	}
	if o.ClientCredentials && (o.Device || o.NoBrowser) {
		return exitcode.Newf(exitcode.Usage, "--client-credentials logs in a machine with no browser: it cannot be combined with --device or --no-browser")
	}
	if o.Timeout <= 0 {
		return exitcode.Newf(exitcode.Usage, "bad --timeout %s: expected a positive duration such as 5m", o.Timeout)
	}
	return nil
}

// loginRun logs in and saves the session. Nothing is saved unless the
// login fully succeeded, so a failed login leaves a working session intact.
func loginRun(ctx context.Context, o *LoginOptions) (*tokencache.Entry, error) {
	mgr, err := o.Session()
	if err != nil {
		return nil, err
	}
	client, err := o.AuthClient(ctx)
	if err != nil {
		return nil, err
	}
	tokens, err := o.authenticate(ctx, client)
	if err != nil {
		return nil, err
	}
	e, err := mgr.Save(ctx, tokens)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.IO.ErrOut, "Logged in as %s.\n", who(e))
	return e, nil
}

func (o *LoginOptions) authenticate(ctx context.Context, c *oidcclient.Client) (*oidcclient.Tokens, error) {
	if o.ClientCredentials {
		return c.ClientCredentials(ctx)
	}
	// No prompt and no browser without a person at a terminal (SPEC §4):
	// CanOpenBrowser says no in CI.
	canOpen := o.CanOpenBrowser()
	device := o.Device
	if !device && !o.NoBrowser && !o.Signup && !canOpen && c.SupportsDevice() {
		fmt.Fprintln(o.IO.ErrOut, "No browser can be opened here: using the device flow (--no-browser keeps the browser flow and prints the URL).")
		device = true
	}
	var open func(string) error
	if canOpen && !o.NoBrowser {
		open = o.Browser.Open
	}
	if device {
		if !c.SupportsDevice() {
			return nil, exitcode.Newf(exitcode.Usage, "the provider does not support the device flow: use \"hello login --no-browser\"")
		}
		return c.DeviceLogin(ctx, oidcclient.DeviceLoginOptions{Open: open, NoBrowser: open == nil, Stderr: o.IO.ErrOut})
	}
	return c.BrowserLogin(ctx, oidcclient.BrowserLoginOptions{
		Port:      o.Port,
		Timeout:   o.Timeout,
		Signup:    o.Signup,
		Open:      open,
		NoBrowser: open == nil,
		Stderr:    o.IO.ErrOut,
	})
}

// who names the logged-in subject for humans, without any token.
func who(e *tokencache.Entry) string {
	if c, err := claims.Unverified(e.IDToken); err == nil {
		email, name := claims.String(c, "email"), claims.String(c, "name")
		switch {
		case email != "" && name != "" && name != email:
			return fmt.Sprintf("%s (%s)", email, name)
		case email != "":
			return email
		case name != "":
			return name
		}
		if sub := claims.String(c, "sub"); sub != "" {
			return sub
		}
	}
	if c, err := claims.Unverified(e.AccessToken); err == nil {
		if sub := claims.String(c, "sub"); sub != "" {
			return sub
		}
	}
	return "client " + e.ClientID
}

// requireSession is the CLI's requires_auth: a usable session, renewed if
// needed; with none, a login when a person is at the terminal, else exit 4.
func requireSession(ctx context.Context, f *Factory) (*session.Manager, *tokencache.Entry, error) {
	mgr, err := f.Session()
	if err != nil {
		return nil, nil, err
	}
	e, err := mgr.Token(ctx, "")
	var corrupt *session.CorruptError
	if errors.As(err, &corrupt) {
		fmt.Fprintf(f.IO.ErrOut, "warning: %v\n", corrupt.Err)
	}
	if (errors.Is(err, session.ErrNotLoggedIn) || errors.Is(err, session.ErrExpired)) && f.IO.Interactive() {
		fmt.Fprintf(f.IO.ErrOut, "%v\nStarting \"hello login\".\n", err)
		e, err = loginRun(ctx, newLoginOptions(f))
	}
	if err != nil {
		return nil, nil, err
	}
	return mgr, e, nil
}

// checkPort validates a --port value.
func checkPort(port int) error {
	if port < 0 || port > 65535 {
		return exitcode.Newf(exitcode.Usage, "bad --port %d: expected 0 to 65535", port)
	}
	return nil
}

// noArgs is cobra.NoArgs with the usage exit code.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return exitcode.Newf(exitcode.Usage, "unexpected argument %q\nRun '%s --help' for usage.", args[0], cmd.CommandPath())
	}
	return nil
}
