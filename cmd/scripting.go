package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/session"
	"github.com/hello-cli/hello/internal/token"
)

// What the scripting commands (exec, api, token --format) share.

// minTTLFlag declares --min-ttl on cmd.
func minTTLFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "min-ttl", 0, "renew the access token first unless it stays valid at least this long (e.g. 10m)")
	_ = cmd.RegisterFlagCompletionFunc("min-ttl", cobra.FixedCompletions([]string{"1m", "5m", "10m", "30m", "1h"}, cobra.ShellCompDirectiveNoFileComp))
}

// checkMinTTL validates a --min-ttl value.
func checkMinTTL(d time.Duration) error {
	if d < 0 {
		return exitcode.Newf(exitcode.Usage, "bad --min-ttl %s: expected a positive duration such as 10m", d)
	}
	return nil
}

// envNameCompletion offers the usual names for the token's variable.
func envNameCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{DefaultTokenEnv, "TOKEN", "ACCESS_TOKEN"}, cobra.ShellCompDirectiveNoFileComp
}

// MinTTLError is a session that cannot give a token valid for as long as
// asked: the provider issues shorter-lived ones. It is exit 4.
type MinTTLError struct {
	Want, Got time.Duration
}

func (e *MinTTLError) Error() string {
	// Truncated, not rounded: 59m59.7s left of a 1h --min-ttl must not read
	// as "valid for 1h0m0s".
	got := "is valid for " + e.Got.Truncate(time.Second).String()
	if e.Got <= 0 {
		got = "has already expired (check this computer's clock)"
	}
	return fmt.Sprintf("the session cannot provide a token valid for %s: even renewed, the access token %s; ask for less with --min-ttl, or give the API a longer token lifetime at the provider", e.Want, got)
}

// tokenWithin gets a usable token that stays valid at least minTTL from
// now: the session renews it (once) when less remains; a provider whose
// tokens are shorter-lived than that makes a *MinTTLError.
func tokenWithin(ctx context.Context, tokens func(context.Context, session.Want) (*token.Token, error), now func() time.Time, minTTL time.Duration) (*token.Token, error) {
	t, err := tokens(ctx, session.Want{MinTTL: minTTL})
	if err != nil || minTTL <= 0 || t.ValidFor(now(), minTTL) {
		return t, err
	}
	return nil, exitcode.New(exitcode.NoSession, &MinTTLError{Want: minTTL, Got: t.Expiry.Sub(now())})
}

// childExit is a command run by hello exec that ended with a non-zero
// code: hello exits with it and prints nothing, the command spoke for itself.
type childExit struct{ code int }

func (e *childExit) Error() string { return fmt.Sprintf("the command exited with code %d", e.code) }

// silentCode returns the code of an error that must not be printed.
func silentCode(err error) (int, bool) {
	var ce *childExit
	if errors.As(err, &ce) {
		return ce.code, true
	}
	return 0, false
}
