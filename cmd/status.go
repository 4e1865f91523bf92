package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/claims"
	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/output"
	"github.com/hello-cli/hello/internal/session"
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
}

// NewCmdStatus builds `hello status`.
func NewCmdStatus(f *Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show who is logged in; exit 0 with a usable session, 4 without",
		Long: `Show the cached session: who, which issuer, client and audience, when the
access token expires, its scopes and permissions. It reads only the cache
and contacts nobody. A session is usable when its access token is valid or
can be renewed (a refresh token, or client credentials), and the provider
has not refused its renewal.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
				CachePath: sess.Store.Path(sess.Key), Load: sess.Load}
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
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
	ConfigFile   string    `json:"config_file,omitempty"`
	SandboxInUse bool      `json:"sandbox"`
}

func statusRun(ctx context.Context, o *StatusOptions) error {
	st := Status{Issuer: o.Issuer, ClientID: o.ClientID, Audience: o.Audience, Cache: o.CachePath, ConfigFile: o.ConfigFile, SandboxInUse: o.Sandbox}
	e, err := o.Load()
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
			err = session.ErrRevoked
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
		fmt.Fprintf(w, "The session of %s at %s (client %s) expired or was revoked by the provider.\n", termsafe.Line(st.User), termsafe.Line(st.Issuer), termsafe.Line(st.ClientID))
		return nil
	}
	if !st.LoggedIn {
		fmt.Fprintf(w, "Not logged in to %s (client %s).\n", termsafe.Line(st.Issuer), termsafe.Line(st.ClientID))
		return nil
	}
	expiry := "unknown"
	if !st.Expiry.IsZero() {
		left := st.Expiry.Sub(o.Now()).Round(time.Second)
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
