package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/loginflow"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
	"github.com/hello-cli/hello/pkg/termsafe"
)

const (
	defaultPort         = config.DefaultCallbackPort
	defaultLoginTimeout = 5 * time.Minute
)

// Authenticator is the part of the provider a login needs;
// *oidcclient.Client is one, tests use doubles.
type Authenticator interface {
	SupportsDevice() bool
	BrowserLogin(ctx context.Context, o oidcclient.BrowserLoginOptions) (*token.Token, error)
	DeviceLogin(ctx context.Context, o oidcclient.DeviceLoginOptions) (*token.Token, error)
	ManualLogin(ctx context.Context, o oidcclient.ManualLoginOptions) (*token.Token, error)
	ClientCredentials(ctx context.Context) (*token.Token, error)
	HasSignupScreen() bool
}

// LoginOptions are the inputs of login and signup.
type LoginOptions struct {
	Port              int
	Timeout           time.Duration
	NoBrowser         bool
	Device            bool
	ClientCredentials bool
	Signup            bool
	// Manual prints the URL and reads the redirect pasted back (--manual).
	Manual bool
	// PAR pushes the authorization request (--par, or PAR in the config).
	PAR bool
	// TimeoutSet: --timeout was given, so it bounds the device flow too
	// (which otherwise waits as long as its code lives).
	TimeoutSet bool

	IO      *iostreams.IOStreams
	Browser webbrowser.Browser
	// BrowserHere says why no browser can be opened on this machine (SSH,
	// no display), "" when one can; CI and the terminals are read from IO.
	BrowserHere func() string
	Provider    func(context.Context) (Authenticator, error)
	// ClientID and ClientIDSource name the client in advice when the
	// provider does not accept it.
	ClientID, ClientIDSource string
	// SecretWithheld: the configured client secret may not go to this
	// issuer (config.SecretIssuerError), so every way of logging in fails
	// with it, before the provider is even discovered.
	SecretWithheld error
	// Save stores the session of a successful login.
	Save func(context.Context, *token.Token) (*tokencache.Entry, error)
}

// loginOptions fills the Factory's part of o.
func (f *Factory) loginOptions(o *LoginOptions) *LoginOptions {
	o.IO, o.Browser, o.BrowserHere = f.IO, f.Browser, f.BrowserHere
	if f.Settings != nil && f.Settings.PAR == "true" {
		o.PAR = true
	}
	o.Provider = func(ctx context.Context) (Authenticator, error) { return f.AuthClient(ctx) }
	o.Save = f.save
	if s := f.Settings; s != nil {
		o.ClientID, o.ClientIDSource = s.ClientID, s.Sources[config.KeyClientID]
		o.SecretWithheld = withheld(s)
	}
	return o
}

// NewCmdLogin builds `hello login`.
func NewCmdLogin(f *Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{Port: defaultPort, Timeout: defaultLoginTimeout}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in through the browser (or a device code, or client credentials)",
		Long: `Log in with the authorization code flow and PKCE: hello opens your browser
on the provider's login page and listens on http://localhost:4040/callback
(loopback only) for the answer.

With no browser on this machine (SSH, a Linux box without a display) hello
uses the device flow instead, and says why: open the printed URL on any
device and type the code. --no-browser keeps the browser flow and only
prints the URL. --manual works where the provider has no device flow: sign
in on any machine, then paste the address its browser failed to load
(http://localhost:4040/callback?code=…) back here.

A provider that requires pushed authorization requests (RFC 9126) gets
them; --par (or PAR=true in the config) uses them wherever it can.

Machines use --client-credentials with the client secret from
HELLO_CLIENT_SECRET or the config file.`,
		Example: `  hello login
  hello login --no-browser
  hello login --device
  hello login --manual
  HELLO_CLIENT_SECRET=... hello login --client-credentials`,
		Args: noArgs,
		RunE: runLogin(f, opts, runF),
	}
	addLoginFlags(cmd, opts)
	cmd.Flags().BoolVar(&opts.Device, "device", false, "use the device authorization flow (RFC 8628)")
	cmd.Flags().BoolVar(&opts.Manual, "manual", false, "sign in on any machine and paste the redirect address back here")
	cmd.Flags().BoolVar(&opts.ClientCredentials, "client-credentials", false, "use the client credentials grant (machines, CI)")
	return cmd
}

// runLogin is the RunE of login and signup.
func runLogin(f *Factory, opts *LoginOptions, runF func(*LoginOptions) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := opts.validate(); err != nil {
			return err
		}
		opts.TimeoutSet = cmd.Flags().Changed("timeout")
		f.loginOptions(opts)
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
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "how long to wait for the login to finish (browser, pasted redirect; device flow when given)")
	fs.BoolVar(&opts.NoBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	fs.BoolVar(&opts.PAR, "par", false, "push the authorization request to the provider first (RFC 9126)")
}

func (o *LoginOptions) validate() error {
	if err := checkPort(o.Port); err != nil {
		return err
	}
	if o.ClientCredentials && (o.Device || o.NoBrowser || o.Manual) {
		return exitcode.Newf(exitcode.Usage, "--client-credentials logs in a machine with no browser: it cannot be combined with --device, --manual or --no-browser")
	}
	if o.Manual && o.Device {
		return exitcode.Newf(exitcode.Usage, "--manual and --device are two ways to log in from another machine: choose one")
	}
	if o.Timeout <= 0 {
		return exitcode.Newf(exitcode.Usage, "bad --timeout %s: expected a positive duration such as 5m", o.Timeout)
	}
	return nil
}

// loginRun logs in and saves the session. Nothing is saved unless the
// login fully succeeded, so a failed login leaves a working session intact.
func loginRun(ctx context.Context, o *LoginOptions) (*tokencache.Entry, error) {
	// A login waits on a person and saves a session: Ctrl-C must end it
	// cleanly, also when a read-only command falls back to it.
	interrupt.Arm(ctx)
	if o.SecretWithheld != nil {
		return nil, o.SecretWithheld
	}
	p, err := o.Provider(ctx)
	if err != nil {
		return nil, err
	}
	t, err := o.authenticate(ctx, p)
	if err != nil {
		return nil, o.clientAdvice(err)
	}
	e, err := o.Save(ctx, t)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.IO.ErrOut, "Logged in as %s.\n", termsafe.Line(entryUser(e)))
	return e, nil
}

func (o *LoginOptions) authenticate(ctx context.Context, p Authenticator) (*token.Token, error) {
	if o.ClientCredentials {
		return p.ClientCredentials(ctx)
	}
	here := ""
	if o.BrowserHere != nil {
		here = o.BrowserHere()
	}
	// No browser without a person at a terminal (SPEC §4); but a person
	// who only redirected stdout or stderr is still there.
	d, err := loginflow.Choose(loginflow.Inputs{
		Device: o.Device, NoBrowser: o.NoBrowser, Manual: o.Manual, Signup: o.Signup,
		CI: o.IO.CI(), Terminal: o.IO.AnyTTY(), NoBrowserHere: here,
		DeviceSupported: p.SupportsDevice(),
	})
	if err != nil {
		return nil, exitcode.New(exitcode.Usage, err)
	}
	if d.Reason != "" {
		fmt.Fprintln(o.IO.ErrOut, d.Reason)
	}
	if o.Signup && !p.HasSignupScreen() {
		fmt.Fprintln(o.IO.ErrOut, "The provider advertises no sign-up screen (it knows neither Auth0's screen_hint nor prompt=create): its login page opens instead; sign up there if it offers a way, or ask its administrator for an account.")
	}
	// A browser may open verification_uri_complete in the device flow too.
	canOpen := here == "" && !o.IO.CI() && o.IO.AnyTTY()
	var open func(string) error
	if canOpen && (d.Flow == loginflow.Browser || d.Flow == loginflow.Device) {
		open = o.Browser.Open
	}
	switch d.Flow {
	case loginflow.Device:
		var timeout time.Duration
		if o.TimeoutSet {
			timeout = o.Timeout
		}
		return p.DeviceLogin(ctx, oidcclient.DeviceLoginOptions{
			Open: open, NoBrowser: open == nil, Stderr: o.IO.ErrOut,
			Terminal: o.IO.IsStderrTTY(), Timeout: timeout,
		})
	case loginflow.Manual:
		port := o.Port
		if port == 0 {
			port = defaultPort
		}
		return p.ManualLogin(ctx, oidcclient.ManualLoginOptions{
			Port: port, Timeout: o.Timeout, Signup: o.Signup, PAR: o.PAR,
			In: o.IO.In, Stderr: o.IO.ErrOut,
		})
	}
	return p.BrowserLogin(ctx, oidcclient.BrowserLoginOptions{
		Port:      o.Port,
		Timeout:   o.Timeout,
		Signup:    o.Signup,
		Open:      open,
		NoBrowser: open == nil,
		Stderr:    o.IO.ErrOut,
		PAR:       o.PAR,
	})
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
