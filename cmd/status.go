package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/config"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/keystore"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/pkg/termsafe"
)

// StatusOptions are the inputs of `hello status`.
type StatusOptions struct {
	IO   *iostreams.IOStreams
	JSON bool
	// JSONOut prints the status for -o json and --jq.
	JSONOut output.JSON
	Now     func() time.Time

	Issuer, ClientID, Audience string
	ConfigFile                 string
	Sandbox                    bool
	HaveSecret                 bool
	// CachePath is the entry file; Load reads it as it is, dead or alive.
	CachePath string
	Load      func() (*tokencache.Entry, error)
	// Storage says how the entry Load read is kept; ok is false when that
	// is unknown (nil: never known).
	Storage func() (w keystore.Where, mode string, ok bool)

	// Profile is the profile in use, ProfileSource why: "flag --profile",
	// "environment HELLO_PROFILE" or "default".
	Profile, ProfileSource string
	// MinTTL, when set, renews the token unless it stays valid that long
	// (the one case where status contacts the provider), through Token:
	// the session itself, which never starts a login.
	MinTTL time.Duration
	Token  func(context.Context, session.Want) (*token.Token, error)
	// All lists every cached session of every profile instead, from Sessions.
	All      bool
	Sessions func() ([]CachedSession, error)
}

// NewCmdStatus builds `hello status`.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show who is logged in; exit 0 with a usable session, 4 without",
		Long: `Show the cached session: who, which issuer, client and audience, when the
access token expires, its scopes and permissions, and where it is stored
(the OS keyring, or a plain file). It reads only the cache (and the key in
the OS keyring when the session is encrypted) and contacts no server. A
session is usable when its access token is valid or can be renewed (a
refresh token, or client credentials), and the provider has not refused its
renewal. It also says which profile is in use and why.

--min-ttl D renews the token unless it stays valid for D, and exits 4 when
the session cannot provide that. --all lists every cached session of every
profile, with where each is stored (exit 0 when one of them is usable).`,
		Example: `  hello status || hello login
  hello status --min-ttl 30m
  hello status --all`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkMinTTL(opts.MinTTL); err != nil {
				return err
			}
			if opts.All && opts.MinTTL > 0 {
				return exitcode.Newf(exitcode.Usage, "--min-ttl applies to one session: use it without --all")
			}
			asJSON, jsonOut, err := f.jsonOutput(cmd)
			if err != nil {
				return err
			}
			sess, err := f.Session()
			if err != nil {
				return err
			}
			s := f.Settings
			*opts = StatusOptions{IO: f.IO, JSON: asJSON, JSONOut: jsonOut, Now: f.Now,
				Issuer: s.Issuer, ClientID: s.ClientID, Audience: s.Audience,
				ConfigFile: s.ConfigFile, Sandbox: s.Sandbox, HaveSecret: s.ClientSecret != "",
				CachePath: sess.Store.Path(sess.Key), Load: sess.Load, Storage: whereOf(sess),
				Profile: s.ProfileName(), ProfileSource: s.ProfileSource(),
				MinTTL: opts.MinTTL, Token: sess.Token, All: opts.All, Sessions: f.allSessions}
			if runF != nil {
				return runF(opts)
			}
			if opts.All {
				return statusAllRun(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	minTTLFlag(cmd, &opts.MinTTL)
	cmd.Flags().BoolVar(&opts.All, "all", false, "list every cached session of every profile")
	addJQFlag(cmd)
	return cmd
}

// Status is what `hello status -o json` prints.
type Status struct {
	LoggedIn     bool      `json:"logged_in"`
	Usable       bool      `json:"usable"`
	User         string    `json:"user,omitempty"`
	Subject      string    `json:"sub,omitempty"`
	Issuer       string    `json:"issuer"`
	ClientID     string    `json:"client_id"`
	Audience     string    `json:"audience,omitempty"`
	Grant        string    `json:"grant,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Expired      bool      `json:"expired"`
	Renewable    bool      `json:"renewable"`
	Revoked      bool      `json:"revoked"`
	Scopes       []string  `json:"scopes,omitempty"`
	Permissions  []string  `json:"permissions,omitempty"`
	Problem      string    `json:"problem,omitempty"`
	Cache        string    `json:"cache"`
	Storage      *Storage  `json:"storage,omitempty"`
	ConfigFile   string    `json:"config_file,omitempty"`
	SandboxInUse bool      `json:"sandbox"`
	// Profile is the profile the session belongs to; ProfileSource says
	// why it is in use (not set by --all).
	Profile       string `json:"profile"`
	ProfileSource string `json:"profile_source,omitempty"`
}

// Storage is where the session's tokens are kept.
type Storage struct {
	// Kind is "keyring" (tokens encrypted in the cache file, their key in
	// the OS keyring) or "file" (plain, mode 0600).
	Kind string `json:"kind"`
	// Keyring names the keyring (Secret Service, macOS Keychain, Windows
	// Credential Manager) when Kind is keyring.
	Keyring   string `json:"keyring,omitempty"`
	Encrypted bool   `json:"encrypted"`
	// Mode is the --token-storage setting: auto, keyring or file.
	Mode string `json:"mode"`
	// Fallback is why auto mode keeps plain files, when it does.
	Fallback string `json:"fallback,omitempty"`
	// Text is the same for people.
	Text string `json:"-"`
}

// storageOf is how the entry just read is kept, from where (nil, or ok
// false: not known).
func storageOf(where func() (w keystore.Where, mode string, ok bool)) *Storage {
	if where == nil {
		return nil
	}
	w, mode, ok := where()
	if !ok {
		return nil
	}
	st := &Storage{Kind: "file", Mode: mode, Fallback: w.Location.Fallback, Text: w.String()}
	if w.Sealed {
		st.Kind, st.Keyring, st.Encrypted = "keyring", w.Location.Backend, true
	}
	return st
}

func statusRun(ctx context.Context, o *StatusOptions) error {
	st := Status{Issuer: o.Issuer, ClientID: o.ClientID, Audience: o.Audience, Cache: o.CachePath, ConfigFile: o.ConfigFile, SandboxInUse: o.Sandbox,
		Profile: o.Profile, ProfileSource: o.ProfileSource}
	var ttlErr error
	if o.MinTTL > 0 {
		// Renew first, so that what is shown is what a command would get.
		if _, ttlErr = tokenWithin(ctx, o.Token, o.Now, o.MinTTL); ttlErr != nil {
			st.Problem = message(ctx, ttlErr)
		}
	}
	e, err := o.Load()
	st.Storage = storageOf(o.Storage)
	var corrupt *session.CorruptError
	switch {
	case errors.As(err, &corrupt):
		st.Problem = corrupt.Err.Error()
	case errors.Is(err, session.ErrNotLoggedIn):
		err = session.ErrNotLoggedIn
	case err != nil:
		return err
	default:
		fillStatus(&st, e, o.Now(), o.HaveSecret)
		if e.Dead {
			err = session.ErrRevoked
		} else if !st.Usable {
			// The reason renewal would give: a machine session lacks
			// its secret, any other has nothing left to renew with.
			err = session.CannotRenew(&e.Token, o.HaveSecret)
		} else if ttlErr != nil {
			st.Usable, err = false, ttlErr
		}
	}
	if o.JSON {
		if werr := o.JSONOut.Value(ctx, o.IO.Out, st); werr != nil {
			return werr
		}
	} else if werr := writeStatusText(o, st); werr != nil {
		return werr
	}
	return err
}

// fillStatus describes e.
func fillStatus(st *Status, e *tokencache.Entry, now time.Time, haveSecret bool) {
	t := &e.Token
	st.LoggedIn = !e.Dead
	st.Revoked = e.Dead
	st.Grant = t.Grant
	st.Expiry = t.Expiry
	st.Scopes = t.Scopes
	st.User = entryUser(e)
	st.Expired = !t.ValidFor(now, 0)
	st.Renewable = !e.Dead && t.Renewable(haveSecret)
	st.Usable = !e.Dead && (!st.Expired || st.Renewable)
	if c, err := claims.Unverified(t.AccessToken); err == nil {
		st.Permissions = claims.Strings(c, "permissions")
		st.Subject = claims.String(c, "sub")
		if len(st.Scopes) == 0 {
			st.Scopes = strings.Fields(claims.String(c, "scope"))
		}
	}
	if c, err := claims.Unverified(t.IDToken); err == nil && claims.String(c, "sub") != "" {
		st.Subject = claims.String(c, "sub")
	}
}

func writeStatusText(o *StatusOptions, st Status) error {
	w := o.IO.Out
	if st.Revoked {
		fmt.Fprintf(w, "The session of %s at %s (client %s) expired or was revoked by the provider.\nProfile: %s\n", termsafe.Line(st.User), termsafe.Line(st.Issuer), termsafe.Line(st.ClientID), profileChoice(st.Profile, st.ProfileSource))
		return nil
	}
	if !st.LoggedIn {
		fmt.Fprintf(w, "Not logged in to %s (client %s).\nProfile: %s\n", termsafe.Line(st.Issuer), termsafe.Line(st.ClientID), profileChoice(st.Profile, st.ProfileSource))
		return nil
	}
	expiry := "unknown"
	if !st.Expiry.IsZero() {
		left := st.Expiry.Sub(o.Now()).Round(time.Second)
		if st.Expired {
			expiry = fmt.Sprintf("%s (expired", st.Expiry.Local().Format(time.RFC3339))
			switch {
			case st.Renewable:
				expiry += "; renewed on next use)"
			case st.Grant == token.GrantClientCredentials:
				expiry += "; renewing it needs the client secret: set HELLO_CLIENT_SECRET)"
			default:
				expiry += "; cannot be renewed: run \"hello login\")"
			}
		} else {
			expiry = fmt.Sprintf("%s (in %s)", st.Expiry.Local().Format(time.RFC3339), left)
		}
	}
	fields := []output.Field{
		{Name: "Logged in as", Value: st.User},
		{Name: "Subject", Value: st.Subject},
		{Name: "Issuer", Value: st.Issuer},
		{Name: "Client", Value: st.ClientID},
		{Name: "Audience", Value: st.Audience},
		{Name: "Grant", Value: st.Grant},
		{Name: "Expires", Value: expiry},
		{Name: "Scopes", Value: listOrNone(st.Scopes)},
		{Name: "Permissions", Value: listOrNone(st.Permissions)},
	}
	if st.Storage != nil {
		fields = append(fields, output.Field{Name: "Stored in", Value: st.Storage.Text})
	}
	if st.ConfigFile != "" {
		fields = append(fields, output.Field{Name: "Config file", Value: st.ConfigFile})
	}
	fields = append(fields, output.Field{Name: "Profile", Value: profileChoice(st.Profile, st.ProfileSource)})
	if st.Problem != "" {
		fields = append(fields, output.Field{Name: "Problem", Value: st.Problem})
	}
	return output.WriteFields(w, fields)
}

// listOrNone is a list for humans: "(none)" rather than nothing, which
// reads like a value that failed to print.
func listOrNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, " ")
}

// profileChoice says which profile is in use and why, as config does.
func profileChoice(profile, source string) string {
	return config.Settings{Profile: profile, Sources: map[string]string{config.KeyProfile: source}}.ProfileChoice()
}

// statusAllRun lists every cached session: profile, issuer, audience, user,
// expiry and whether it is usable. It exits 4 when none is.
func statusAllRun(ctx context.Context, o *StatusOptions) error {
	list, err := o.Sessions()
	if err != nil {
		return err
	}
	all := make([]Status, 0, len(list))
	usable := false
	for _, cs := range list {
		k := cs.Session.Key
		st := Status{Profile: cs.Profile, Issuer: k.Issuer, ClientID: k.ClientID, Audience: k.Audience, Cache: cs.Session.Store.Path(k)}
		e, err := cs.Session.Load()
		st.Storage = storageOf(cs.Storage)
		var corrupt *session.CorruptError
		switch {
		case errors.As(err, &corrupt):
			st.Problem = corrupt.Err.Error()
		case err != nil:
			st.Problem = err.Error()
		default:
			fillStatus(&st, e, o.Now(), cs.Session.HaveSecret)
		}
		usable = usable || st.Usable
		all = append(all, st)
	}
	if o.JSON {
		if err := o.JSONOut.Value(ctx, o.IO.Out, all); err != nil {
			return err
		}
	} else if err := writeStatusTable(o, all); err != nil {
		return err
	}
	if !usable {
		return session.ErrNotLoggedIn
	}
	return nil
}

// storedIn is the STORED IN column of status --all: the keyring, or the
// plain file.
func storedIn(st *Storage) string {
	switch {
	case st == nil:
		return "-"
	case st.Encrypted:
		return "keyring (" + st.Keyring + ")"
	}
	return "file"
}

func writeStatusTable(o *StatusOptions, all []Status) error {
	if len(all) == 0 {
		_, err := fmt.Fprintln(o.IO.Out, "No cached sessions.")
		return err
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tISSUER\tAUDIENCE\tUSER\tEXPIRES\tSTORED IN\tUSABLE")
	for _, st := range all {
		expires := "-"
		if !st.Expiry.IsZero() {
			expires = st.Expiry.Local().Format(time.RFC3339)
		}
		usable := "yes"
		switch {
		case st.Revoked:
			usable = "no (revoked)"
		case st.Problem != "":
			usable = "no (unreadable)"
		case !st.Usable:
			usable = "no (expired)"
		case st.Expired:
			usable = "yes (renewed on next use)"
		}
		aud, user := st.Audience, st.User
		if aud == "" {
			aud = "-"
		}
		if user == "" {
			user = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Profile, termsafe.Line(st.Issuer), termsafe.Line(aud), termsafe.Line(user), expires, storedIn(st.Storage), usable)
	}
	return tw.Flush()
}
