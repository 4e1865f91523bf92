package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/callback"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// LogoutProvider is the part of the provider a logout needs;
// *oidcclient.Client is one.
type LogoutProvider interface {
	Revoke(ctx context.Context, token, hint string) error
	LogoutURL(returnTo string) string
	LogoutForm(idToken, returnTo string) (action string, fields url.Values, ok bool)
	HasRevocation() bool
	HasEndSession() bool
}

// LogoutOptions are the inputs of `hello logout`.
type LogoutOptions struct {
	Local bool
	Port  int
	Wait  time.Duration

	IO             *iostreams.IOStreams
	Browser        webbrowser.Browser
	CanOpenBrowser func() bool
	// Load reads the cached entry as it is; Delete removes it.
	Load     func() (*tokencache.Entry, error)
	Delete   func(context.Context) (*tokencache.Entry, error)
	Provider func(context.Context) (LogoutProvider, error)
	// ForgetKey removes the token key from the OS keyring when no cached
	// session uses it any more, and reports whether it did; nil for none.
	ForgetKey func(context.Context) (bool, error)
	// Keyring names the OS keyring in messages.
	Keyring string
	// All ends every cached session of every profile, from Sessions.
	All      bool
	Sessions func() ([]CachedSession, error)
}

// NewCmdLogout builds `hello logout`.
func NewCmdLogout(f *Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{Port: defaultPort, Wait: 2 * time.Minute}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Forget the session, revoke its refresh token, end the provider's browser session",
		Long: `Delete the cached session, revoke its refresh token when the provider can,
and end the provider's browser session so that the next login asks for the
password again. Without a browser (no terminal, CI) the logout URL is printed
instead. --local only deletes the cache. Logging out twice is not an error.

--all ends every cached session of every profile: each refresh token is
revoked where the provider can (unless --local), each entry deleted, and
for each provider the URL that ends its browser session is printed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkPort(opts.Port); err != nil {
				return err
			}
			sess, err := f.Session()
			if err != nil {
				return err
			}
			opts.IO, opts.Browser = f.IO, f.Browser
			opts.CanOpenBrowser = func() bool { return f.IO.Interactive() && f.CanOpenBrowser() }
			opts.Load, opts.Delete = sess.Load, sess.Delete
			opts.Provider = func(ctx context.Context) (LogoutProvider, error) { return f.AuthClient(ctx) }
			opts.ForgetKey, opts.Keyring = forgetKeyOf(sess)
			opts.Sessions = f.allSessions
			if runF != nil {
				return runF(opts)
			}
			if opts.All {
				return logoutAllRun(cmd.Context(), opts)
			}
			return logoutRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Local, "local", false, "only delete the cached session")
	cmd.Flags().BoolVar(&opts.All, "all", false, "end every cached session of every profile")
	cmd.Flags().IntVar(&opts.Port, "port", opts.Port, "port that answers the provider's post-logout redirect")
	cmd.Flags().DurationVar(&opts.Wait, "wait", opts.Wait, "how long to wait for the browser to finish the provider's logout")
	return cmd
}

func logoutRun(ctx context.Context, o *LogoutOptions) error {
	e, err := o.Load()
	var corrupt *session.CorruptError
	switch {
	case errors.As(err, &corrupt):
		// Logging out is the cure: say what was wrong, and remove it.
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", termsafe.Line(corrupt.Err.Error()))
	case errors.Is(err, session.ErrNotLoggedIn):
		fmt.Fprintln(o.IO.ErrOut, "Not logged in: nothing to do.")
		return nil
	case err != nil:
		return err
	}

	// Revoke before deleting: once the cache is gone, a refresh token the
	// provider could not be told about would stay valid with no way to
	// retry. The local logout happens whatever the provider says.
	var p LogoutProvider
	if e != nil && !o.Local {
		p = revokeRefreshToken(ctx, o, e.Token.RefreshToken)
		if err := ctx.Err(); err != nil {
			// Ctrl-C or SIGTERM while the provider was asked: it may never
			// have heard of the revocation, and the entry is the one record
			// of the refresh token. Keep it, so that logout can be run again.
			return err
		}
	}
	gone, err := o.Delete(ctx)
	if err != nil {
		return err
	}
	// Another process may have renewed the session while its old refresh
	// token was being revoked: the rotated one must not stay valid.
	if e != nil && gone != nil && !o.Local && gone.Token.RefreshToken != "" && gone.Token.RefreshToken != e.Token.RefreshToken {
		p = revokeRefreshToken(ctx, o, gone.Token.RefreshToken)
	}
	if e != nil {
		fmt.Fprintf(o.IO.ErrOut, "Removed the cached session. Logged out %s.\n", termsafe.Line(entryUser(e)))
	} else {
		fmt.Fprintln(o.IO.ErrOut, "Removed the cached session.")
	}
	if o.ForgetKey != nil {
		// The session is gone either way; a key left behind is only untidy.
		switch removed, err := o.ForgetKey(ctx); {
		case err != nil:
			fmt.Fprintf(o.IO.ErrOut, "warning: the token key could not be removed from the %s (%v)\n", o.Keyring, err)
		case removed:
			fmt.Fprintf(o.IO.ErrOut, "Removed the token key from the %s: no cached session uses it any more.\n", o.Keyring)
		}
	}
	if p == nil || e.Token.Grant == token.GrantClientCredentials {
		return nil
	}
	return endProviderSession(ctx, o, p, e.Token.IDToken)
}

// revokeTimeout bounds the provider's part of a logout.
const revokeTimeout = 15 * time.Second

// revokeRefreshToken revokes the refresh token (RFC 7009) when there is one
// and the provider can, and returns the provider, or nil when it could not
// be reached. Failures are warnings: they must not keep the user from
// logging out locally.
func revokeRefreshToken(ctx context.Context, o *LogoutOptions, refreshToken string) LogoutProvider {
	interrupted := ctx.Err
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	p, err := o.Provider(ctx)
	if err != nil {
		if interrupted() != nil {
			return nil // the caller stops: a warning would only confuse
		}
		fmt.Fprintf(o.IO.ErrOut, "warning: the provider could not be reached, so the refresh token was not revoked and its browser session not ended (%s)\n", termsafe.Line(err.Error()))
		return nil
	}
	if refreshToken == "" {
		return p
	}
	if !p.HasRevocation() {
		fmt.Fprintln(o.IO.ErrOut, "The provider has no revocation endpoint (RFC 7009), so the refresh token stays valid at the provider until it expires.")
		return p
	}
	switch err := p.Revoke(ctx, refreshToken, "refresh_token"); {
	case errors.Is(err, oidcclient.ErrNoRevocation):
	case err != nil && interrupted() != nil:
	case err != nil:
		fmt.Fprintf(o.IO.ErrOut, "warning: revoking the refresh token failed, so it stays valid at the provider until it expires (%s)\n", termsafe.Line(err.Error()))
	default:
		fmt.Fprintln(o.IO.ErrOut, "Revoked the refresh token.")
	}
	return p
}

// endProviderSession sends the browser to the provider's logout. With a
// browser, hello serves a local page that posts the ID token as
// id_token_hint; a URL that is printed or handed to a launcher's argv names
// the client instead, since tokens must never be there.
func endProviderSession(ctx context.Context, o *LogoutOptions, p LogoutProvider, idToken string) error {
	if !p.HasEndSession() {
		// Nothing to open and nothing to wait for.
		fmt.Fprintln(o.IO.ErrOut, "The provider offers no way to end its browser session (no end_session_endpoint), so it was not ended: the browser stays signed in there until you sign out on the provider's site or close the browser.")
		return nil
	}
	// A printed URL must work as printed: after hello exits nothing
	// answers a redirect to localhost, so it asks for none and the browser
	// ends on the provider's own page.
	printed := p.LogoutURL("")
	if !o.CanOpenBrowser() {
		fmt.Fprintf(o.IO.ErrOut, "To end the provider's browser session too, open:\n  %s\n", termsafe.Line(printed))
		return nil
	}
	// Listen before opening the browser, so the provider's redirect back
	// always finds the "logged out" page. Without the port, no redirect
	// is asked for: whatever holds the port would answer it.
	returnTo := ""
	srv, err := callback.ListenLoggedOut(ctx, o.Port, o.Wait)
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s; the browser ends on the provider's own page instead of hello's \"logged out\" page\n", termsafe.Line(err.Error()))
	} else {
		defer func() { _ = srv.Close() }()
		returnTo = srv.RedirectURL()
	}
	url := p.LogoutURL(returnTo)
	if action, fields, ok := p.LogoutForm(idToken, returnTo); ok && srv != nil && idToken != "" {
		if start, err := srv.LogoutStart(action, fields); err == nil {
			url = start
		}
	}
	if err := o.Browser.Open(url); err != nil {
		fmt.Fprintf(o.IO.ErrOut, "Could not open a browser (%v). To end the provider's browser session too, open:\n  %s\n", err, termsafe.Line(printed))
		return nil
	}
	fmt.Fprintln(o.IO.ErrOut, "Ending the provider's session in your browser… (Ctrl-C to stop waiting)")
	if srv == nil {
		return nil
	}
	if _, err := srv.Wait(ctx); errors.Is(err, callback.ErrTimeout) {
		fmt.Fprintf(o.IO.ErrOut, "The browser did not come back from the provider's logout within %s; if the page is still open, finish there.\n", o.Wait)
	} else if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "Stopped waiting for the browser (%v).\n", err)
	}
	return nil
}

// logoutAllRun logs out of every cached session, one after the other, as
// logout does for one, without a browser: one browser tab per provider
// would be more than anyone wants, so their logout URLs are printed.
func logoutAllRun(ctx context.Context, o *LogoutOptions) error {
	list, err := o.Sessions()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(o.IO.ErrOut, "No cached sessions: nothing to do.")
		return nil
	}
	var errs []error
	for _, cs := range list {
		if err := ctx.Err(); err != nil {
			// Interrupted: the sessions not reached yet stay as they are.
			errs = append(errs, err)
			break
		}
		k := cs.Session.Key
		// The issuer and client ID come from a cache file: print them safely.
		fmt.Fprintf(o.IO.ErrOut, "Profile %s, %s (client %s):\n", cs.Profile, termsafe.Line(k.Issuer), termsafe.Line(k.ClientID))
		one := *o
		one.All, one.CanOpenBrowser = false, func() bool { return false }
		one.Load, one.Delete = cs.Session.Load, cs.Session.Delete
		// Each profile's directory has its own key: it goes with the
		// last session that used it.
		one.ForgetKey, one.Keyring = cs.ForgetKey, cs.Keyring
		one.Provider = func(ctx context.Context) (LogoutProvider, error) { return cs.Provider(ctx) }
		if err := logoutRun(ctx, &one); err != nil {
			// The others are still logged out: a failure here stops nothing.
			errs = append(errs, fmt.Errorf("profile %s, %s: %w", cs.Profile, termsafe.Line(k.Issuer), err))
		}
	}
	return errors.Join(errs...)
}
