package cmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/iostreams"
	"github.com/hello-cli/hello/internal/oidcclient"
	"github.com/hello-cli/hello/internal/token"
	"github.com/hello-cli/hello/internal/tokencache"
	"github.com/hello-cli/hello/internal/webbrowser"
)

// cancellingRevoke is a provider whose revocation is cut short by Ctrl-C:
// the signal cancels the run's context while the request is in flight.
type cancellingRevoke struct {
	fakeLogout
	cancel context.CancelFunc
}

func (p *cancellingRevoke) Revoke(ctx context.Context, tok, hint string) error {
	p.cancel()
	_ = p.fakeLogout.Revoke(ctx, tok, hint)
	return context.Cause(ctx)
}

// TestInterruptedRevocationKeepsTheEntry: the entry is the one record of a
// refresh token the provider may not have revoked, so a logout interrupted
// while asking the provider stops before deleting it, says nothing about a
// failed revocation (the person knows what happened) and reports the
// cancellation, which the root command turns into 130 or 143.
func TestInterruptedRevocationKeepsTheEntry(t *testing.T) {
	t.Parallel()
	entry := &tokencache.Entry{Token: token.Token{AccessToken: "at", RefreshToken: "rt", IDToken: "id", Grant: token.GrantAuthorizationCode}, User: "a@example.com"}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p := &cancellingRevoke{cancel: cancel}
	io, _, _, errOut := iostreams.Test()
	deleted := false
	o := LogoutOptions{
		IO: io, Browser: &webbrowser.Recorder{}, CanOpenBrowser: func() bool { return false },
		Load: func() (*tokencache.Entry, error) { return entry, nil },
		Delete: func(context.Context) (*tokencache.Entry, error) {
			deleted = true
			return entry, nil
		},
		Provider: func(context.Context) (LogoutProvider, error) { return p, nil },
	}
	err := logoutRun(ctx, &o)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("logoutRun = %v, want the cancellation", err)
	}
	if deleted {
		t.Error("the entry was deleted although its refresh token may not be revoked")
	}
	if len(p.revoked) != 1 {
		t.Errorf("revoked %v, want one attempt", p.revoked)
	}
	if s := errOut.String(); strings.Contains(s, "stays valid") || strings.Contains(s, "Removed") {
		t.Errorf("stderr after an interrupted revocation:\n%s", s)
	}
}

// TestInterruptedLogoutAllStops: logout --all interrupted at one session
// leaves that one and every later one as they are.
func TestInterruptedLogoutAllStops(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Ctrl-C while the first provider is being discovered.
	list := cachedSessions(t, base, func(ctx context.Context) (*oidcclient.Client, error) {
		cancel()
		return nil, context.Cause(ctx)
	})
	io, _, _, errOut := iostreams.Test()
	o := &LogoutOptions{IO: io, Sessions: func() ([]CachedSession, error) { return list, nil }}
	if err := logoutAllRun(ctx, o); !errors.Is(err, context.Canceled) {
		t.Errorf("logoutAllRun = %v, want the cancellation", err)
	}
	for _, cs := range list {
		if _, err := cs.Session.Load(); err != nil {
			t.Errorf("profile %s: %v; want the session kept", cs.Profile, err)
		}
	}
	if got := errOut.String(); strings.Contains(got, "Profile prod") || strings.Contains(got, "Removed") {
		t.Errorf("logout --all went on after the interrupt:\n%s", got)
	}
}
