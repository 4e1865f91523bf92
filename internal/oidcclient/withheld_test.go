package oidcclient

import (
	"context"
	"errors"
	"testing"
)

// TestSecretWithheldSendsNothing: with SecretWithheld set, every request
// that would authenticate the client fails with that error before anything
// reaches the provider.
func TestSecretWithheldSendsNothing(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	op.addRefreshToken("rt-1")
	withheld := errors.New("secret withheld")
	c := newClient(t, op, func(cfg *Config) { cfg.SecretWithheld = withheld })
	op.mu.Lock()
	before := op.requests
	op.mu.Unlock()

	calls := map[string]func(context.Context) error{
		"client credentials": func(ctx context.Context) error { _, err := c.ClientCredentials(ctx); return err },
		"refresh":            func(ctx context.Context) error { _, err := c.Refresh(ctx, "rt-1"); return err },
		"revoke":             func(ctx context.Context) error { return c.Revoke(ctx, "rt-1", "refresh_token") },
		"device login":       func(ctx context.Context) error { _, err := c.DeviceLogin(ctx, DeviceLoginOptions{}); return err },
		"browser login":      func(ctx context.Context) error { _, err := c.BrowserLogin(ctx, BrowserLoginOptions{}); return err },
		"manual login":       func(ctx context.Context) error { _, err := c.ManualLogin(ctx, ManualLoginOptions{}); return err },
		"pushed request": func(ctx context.Context) error {
			c.meta.PushedAuthorizationRequestEndpoint = op.issuer + "/par"
			_, _, err := c.authorizationURL(ctx, "http://127.0.0.1:1/callback", "s", "v", "n", false, true)
			return err
		},
	}
	for name, call := range calls {
		if err := call(t.Context()); !errors.Is(err, withheld) {
			t.Errorf("%s: err = %v, want the withheld error", name, err)
		}
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.requests != before {
		t.Errorf("%d requests reached the provider", op.requests-before)
	}
}
