package cmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/tokencache"
)

// StatusOptions are the inputs of `hello status`.
type StatusOptions struct{}

// NewCmdStatus builds `hello status`.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	return &cobra.Command{
		Use:   "status",
		Short: "Show who is logged in; exit 0 with a usable session, 4 without",
		Long: `Show the cached session: who, which issuer, client and audience, when the
access token expires, its scopes and permissions. It reads only the cache
and contacts nobody. A session is usable when its access token is valid or
can be renewed (a refresh token, or client credentials).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return statusRun(f)
		},
	}
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
	Scopes       []string  `json:"scopes,omitempty"`
	Permissions  []string  `json:"permissions,omitempty"`
	Problem      string    `json:"problem,omitempty"`
	Cache        string    `json:"cache"`
	ConfigFile   string    `json:"config_file,omitempty"`
	SandboxInUse bool      `json:"sandbox"`
}

func statusRun(f *Factory) error {
	mgr, err := f.Session()
	if err != nil {
		return err
	}
	s := f.Settings
	st := Status{Issuer: s.Issuer, ClientID: s.ClientID, Audience: s.Audience, Cache: mgr.Store.Path(mgr.Key), ConfigFile: s.ConfigFile, SandboxInUse: s.Sandbox}
	e, err := mgr.Load()
	switch {
	case errors.Is(err, session.ErrNotLoggedIn):
		var corrupt *session.CorruptError
		if errors.As(err, &corrupt) {
			st.Problem = corrupt.Err.Error()
		}
	case err != nil:
		return err
	default:
		fillStatus(&st, e, f.Now(), s.ClientSecret != "")
	}
	if f.JSON() {
		if err := output.WriteJSON(f.IO.Out, st); err != nil {
			return err
		}
	} else if err := writeStatusText(f, st); err != nil {
		return err
	}
	if !st.Usable {
		// The message is already on stdout; the code is what scripts test.
		return exitcode.New(exitcode.NoSession, errors.New(`not logged in: run "hello login"`))
	}
	return nil
}

// fillStatus describes e. A client-credentials session is renewable only
// with the secret at hand to mint a new token.
func fillStatus(st *Status, e *tokencache.Entry, now time.Time, haveSecret bool) {
	st.LoggedIn = true
	st.Grant = e.Grant
	st.Expiry = e.Expiry
	st.Scopes = e.Scopes
	st.User = who(e)
	st.Expired = !e.Valid(now, 0)
	st.Renewable = e.RefreshToken != "" || (e.Grant == oidcclient.GrantClientCredentials && haveSecret)
	st.Usable = !st.Expired || st.Renewable
	if c, err := claims.Unverified(e.AccessToken); err == nil {
		st.Permissions = claims.Strings(c, "permissions")
		st.Subject = claims.String(c, "sub")
		if len(st.Scopes) == 0 {
			st.Scopes = strings.Fields(claims.String(c, "scope"))
		}
	}
	if c, err := claims.Unverified(e.IDToken); err == nil && claims.String(c, "sub") != "" {
		st.Subject = claims.String(c, "sub")
	}
}

func writeStatusText(f *Factory, st Status) error {
	w := f.IO.Out
	if !st.LoggedIn {
		fmt.Fprintf(w, "Not logged in to %s (client %s).\n", st.Issuer, st.ClientID)
		if st.Problem != "" {
			fmt.Fprintf(w, "The cached session is unreadable: %s\n", st.Problem)
		}
		return nil
	}
	expiry := "unknown"
	if !st.Expiry.IsZero() {
		left := st.Expiry.Sub(f.Now()).Round(time.Second)
		if st.Expired {
			expiry = fmt.Sprintf("%s (expired", st.Expiry.Local().Format(time.RFC3339))
			if st.Renewable {
				expiry += "; renewed on next use)"
			} else {
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
		{Name: "Scopes", Value: strings.Join(st.Scopes, " ")},
		{Name: "Permissions", Value: strings.Join(st.Permissions, " ")},
	}
	if st.ConfigFile != "" {
		fields = append(fields, output.Field{Name: "Config file", Value: st.ConfigFile})
	}
	return output.WriteFields(w, fields)
}
