package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/interrupt"
	"github.com/hello-cli/hello/internal/sandbox"
	"github.com/hello-cli/hello/internal/sandbox/eventlog"
	"github.com/hello-cli/hello/internal/sandbox/provider"
	"github.com/hello-cli/hello/internal/transport"
	"github.com/hello-cli/hello/internal/urlpolicy"
)

// defaultSandboxAPI is the API's URL with the default --api-addr.
const defaultSandboxAPI = "http://" + config.SandboxAPIAddr

// SandboxOptions are the inputs of `hello sandbox`.
type SandboxOptions struct {
	sandbox.Options
	Domain string
}

// NewCmdSandbox builds `hello sandbox`.
func NewCmdSandbox(f *Factory, runF func(*SandboxOptions) error) *cobra.Command {
	opts := &SandboxOptions{Options: sandbox.Options{
		Addr:     config.SandboxProviderAddr,
		APIAddr:  config.SandboxAPIAddr,
		TokenTTL: time.Hour,
	}}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local OpenID provider and the Hello World API (no account, no network)",
		Long: `Run the embedded sandbox: an OpenID provider on http://127.0.0.1:5055 and the
Hello World API on http://127.0.0.1:6060, both on loopback. hello's defaults
point at it, so "hello login" works at once.

Users: alice@example.com / alice-password (with read:admin-messages) and
bob@example.com / bob-password (without). Clients: public hello-cli, and
confidential hello-ci / hello-ci-secret for client credentials.

Once both listen, stdout gets exactly two lines, HELLO_ISSUER=<url> and
HELLO_API_URL=<url>; everything else goes to stderr: help, then one log line
per login, sign-up, token response, refresh-token reuse, logout or refusal
(--log-format json for machines).

Like Auth0, ID tokens name only the client, the authorization response
carries iss (RFC 9207), resource (RFC 8707) works like audience, and a
reused refresh token revokes its login unless --refresh-reuse-interval
allows the previous one once more. Wrong passwords are throttled per
account and per address, and each client and user has its own share of
live tokens, so one flooding client is refused alone.

With --issuer (or --domain) and --audience it runs the API alone, validating
that provider's tokens: a drop-in for Auth0's sample API.`,
		Example: `  hello sandbox
  hello sandbox --addr 127.0.0.1:0 --api-addr 127.0.0.1:0 --ephemeral --token-ttl 30s
  hello sandbox --domain example.eu.auth0.com --audience https://hello-world.example.com`,
		Args:        noArgs,
		Annotations: map[string]string{skipConfig: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.fromRootFlags(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return sandboxRun(cmd.Context(), f, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.Addr, "addr", opts.Addr, "address of the identity provider (port 0 picks a free one)")
	fs.StringVar(&opts.APIAddr, "api-addr", opts.APIAddr, "address of the Hello World API (port 0 picks a free one)")
	fs.StringVar(&opts.StateDir, "state-dir", "", "where the signing key and signed-up users persist (default $XDG_STATE_HOME/hello/sandbox)")
	fs.BoolVar(&opts.Ephemeral, "ephemeral", false, "keep everything in memory")
	fs.DurationVar(&opts.TokenTTL, "token-ttl", opts.TokenTTL, "access token lifetime")
	fs.DurationVar(&opts.DeviceInterval, "device-interval", 5*time.Second, "polling interval the device flow asks clients for")
	fs.StringVar(&opts.LogFormat, "log-format", eventlog.FormatText, `format of the event log on stderr (one line per login, sign-up, grant, reuse, logout, refusal): "text" or "json"`)
	fs.DurationVar(&opts.RefreshReuseInterval, "refresh-reuse-interval", 0, "for this long after a refresh, the previous refresh token works once more and gets the same new tokens (Auth0's rotation overlap period); 0: any reuse revokes the login")
	return cmd
}

// fromRootFlags reads --issuer, --domain and --audience from the command
// line only: a configured provider must not silently turn the sandbox into
// an API-only server.
func (o *SandboxOptions) fromRootFlags(cmd *cobra.Command) error {
	fs := cmd.Flags()
	get := func(name string) string {
		if fl := fs.Lookup(name); fl != nil && fl.Changed {
			return strings.TrimSpace(fl.Value.String())
		}
		return ""
	}
	o.Issuer, o.Domain, o.Audience = get("issuer"), get("domain"), get("audience")
	if o.Issuer != "" && o.Domain != "" {
		return exitcode.Newf(exitcode.Usage, "give --issuer or --domain, not both")
	}
	if o.Domain != "" {
		if strings.Contains(o.Domain, "/") {
			return exitcode.Newf(exitcode.Usage, "bad --domain %q: expected a host name such as example.eu.auth0.com; use --issuer for a URL", o.Domain)
		}
		o.Issuer = "https://" + o.Domain + "/"
	}
	if o.Issuer != "" {
		// The API trusts whatever keys this URL serves: they must not
		// cross a network in clear.
		u, err := url.Parse(o.Issuer)
		if err != nil || !urlpolicy.Secure(u) {
			return exitcode.Newf(exitcode.Usage, "bad --issuer %q: expected an https:// URL (http:// only for loopback hosts)", o.Issuer)
		}
	}
	if o.Issuer != "" && o.Audience == "" {
		return exitcode.Newf(exitcode.Usage, "--issuer/--domain runs the API alone: give --audience too (the API identifier its tokens are for)")
	}
	if o.TokenTTL <= 0 || o.DeviceInterval <= 0 {
		return exitcode.Newf(exitcode.Usage, "--token-ttl and --device-interval must be positive durations")
	}
	if o.LogFormat != eventlog.FormatText && o.LogFormat != eventlog.FormatJSON {
		return exitcode.Newf(exitcode.Usage, "bad --log-format %q: want text or json", o.LogFormat)
	}
	if o.RefreshReuseInterval < 0 {
		return exitcode.Newf(exitcode.Usage, "--refresh-reuse-interval must not be negative")
	}
	return nil
}

func sandboxRun(ctx context.Context, f *Factory, o *SandboxOptions) error {
	if o.StateDir == "" && !o.Ephemeral && o.Issuer == "" {
		dir, err := sandbox.DefaultStateDir()
		if err != nil {
			return err
		}
		o.StateDir = dir
	}
	hc, err := transport.New(transport.Options{Verbose: f.Verbose, Log: f.IO.ErrOut})
	if err != nil {
		return err
	}
	o.HTTPClient = hc
	o.Log = f.IO.ErrOut
	// The OpenID library logs every refused request (each device poll
	// that is still pending, too) through slog's default logger: let only
	// its errors through, in the event log's format.
	libLog, err := eventlog.NewHandler(f.IO.ErrOut, o.LogFormat, slog.LevelError)
	if err != nil {
		return err
	}
	slog.SetDefault(slog.New(libLog))
	// Armed by the root command already; said here too, because a script
	// may send SIGTERM as soon as it has read the addresses, and that must
	// stop the sandbox cleanly.
	interrupt.Arm(ctx)
	sb, err := sandbox.Start(ctx, o.Options)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "HELLO_ISSUER=%s\nHELLO_API_URL=%s\n", sb.IssuerURL, sb.APIURL)
	if sb.Provider != nil {
		next := "hello login && hello messages admin"
		if sb.IssuerURL != config.DefaultIssuer || sb.APIURL != defaultSandboxAPI {
			// Not the addresses hello looks for by default: say how to
			// point it here.
			next = fmt.Sprintf("export HELLO_ISSUER=%s HELLO_API_URL=%s; %s", sb.IssuerURL, sb.APIURL, next)
		}
		fmt.Fprintf(f.IO.ErrOut, `Sandbox running: provider %s, API %s.
Users: %s / %s (admin), %s / %s.
In another terminal: %s
Press Ctrl-C to stop.
`, sb.IssuerURL, sb.APIURL, provider.AliceEmail, provider.AlicePassword, provider.BobEmail, provider.BobPassword, next)
	} else {
		fmt.Fprintf(f.IO.ErrOut, "Hello World API on %s, validating tokens of %s for %s. Press Ctrl-C to stop.\n", sb.APIURL, sb.IssuerURL, o.Audience)
	}
	<-ctx.Done()
	fmt.Fprintln(f.IO.ErrOut, "Stopping the sandbox.")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return sb.Shutdown(shutdownCtx)
}
