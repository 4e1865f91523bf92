package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// secretFile has a secret in each kind of section: the default profile
// with a DOMAIN, a profile with an ISSUER, and one naming neither.
const secretFile = `[AUTH0]
DOMAIN=tenant.eu.auth0.com
CLIENT_SECRET=default-secret

[profile prod]
ISSUER=https://login.example.com/
CLIENT_SECRET=prod-secret

[profile local]
CLIENT_SECRET=local-secret

[profile public]
ISSUER=https://login.example.com/
`

func TestSecretBoundToItsSection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    env
		args   []string
		secret string // the ClientSecret in effect
		// withheld: the source of the other issuer named by the error; ""
		// when the secret is not withheld.
		withheld string
		section  string
	}{
		{name: "default profile, file domain", secret: "default-secret"},
		{name: "default profile, same issuer by flag", args: []string{"--issuer", "https://tenant.eu.auth0.com/"}, secret: "default-secret"},
		{name: "default profile, same issuer without slash", env: env{"HELLO_ISSUER": "https://tenant.eu.auth0.com"}, secret: "default-secret"},
		{name: "default profile, same domain by env", env: env{"HELLO_DOMAIN": "tenant.eu.auth0.com"}, secret: "default-secret"},
		{name: "default profile, HELLO_ISSUER elsewhere", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055"}, withheld: "environment HELLO_ISSUER", section: "[AUTH0]"},
		{name: "default profile, HELLO_DOMAIN elsewhere", env: env{"HELLO_DOMAIN": "evil.auth0.com"}, withheld: "environment HELLO_DOMAIN", section: "[AUTH0]"},
		{name: "default profile, --issuer elsewhere", args: []string{"--issuer", "https://other.example.com/"}, withheld: "flag --issuer", section: "[AUTH0]"},
		{name: "default profile, --domain elsewhere", args: []string{"--domain", "other.auth0.com"}, withheld: "flag --domain", section: "[AUTH0]"},
		{name: "default profile, explicit env secret", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055", "HELLO_CLIENT_SECRET": "env-secret"}, secret: "env-secret"},
		{name: "prod, file issuer", args: []string{"--profile", "prod"}, secret: "prod-secret"},
		{name: "prod, HELLO_ISSUER elsewhere", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055"}, args: []string{"--profile", "prod"}, withheld: "environment HELLO_ISSUER", section: "[profile prod]"},
		{name: "prod by HELLO_PROFILE, --domain elsewhere", env: env{"HELLO_PROFILE": "prod"}, args: []string{"--domain", "other.auth0.com"}, withheld: "flag --domain", section: "[profile prod]"},
		{name: "prod, flag beats env to the file's issuer", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055"}, args: []string{"--profile", "prod", "--issuer", "https://login.example.com/"}, secret: "prod-secret"},
		{name: "prod, explicit env secret", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055", "HELLO_CLIENT_SECRET": "env-secret"}, args: []string{"--profile", "prod"}, secret: "env-secret"},
		{name: "section naming no issuer, default issuer", args: []string{"--profile", "local"}, secret: "local-secret"},
		{name: "section naming no issuer, default issuer by env", env: env{"HELLO_ISSUER": DefaultIssuer}, args: []string{"--profile", "local"}, secret: "local-secret"},
		{name: "section naming no issuer, other issuer", env: env{"HELLO_ISSUER": "https://login.example.com/"}, args: []string{"--profile", "local"}, withheld: "environment HELLO_ISSUER", section: "[profile local]"},
		{name: "no secret in the section", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055"}, args: []string{"--profile", "public"}},
		{name: "env secret only, any issuer", env: env{"HELLO_ISSUER": "http://127.0.0.1:5055", "HELLO_CLIENT_SECRET": "env-secret"}, args: []string{"--profile", "public"}, secret: "env-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, tt.env)
			cfg := write(t, filepath.Join(l.WorkDir, ".config"), secretFile)
			s, err := l.Load(flags(t, tt.args...))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.ClientSecret != tt.secret {
				t.Errorf("ClientSecret = %q, want %q", s.ClientSecret, tt.secret)
			}
			if tt.withheld == "" {
				if s.SecretWithheld != nil {
					t.Fatalf("secret withheld: %v", s.SecretWithheld)
				}
				return
			}
			if s.SecretWithheld == nil {
				t.Fatal("the file's secret was not withheld from another issuer")
			}
			msg := s.SecretWithheld.Error()
			for _, want := range []string{tt.section, cfg, tt.withheld, s.Issuer, "HELLO_CLIENT_SECRET"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			if strings.Contains(msg, "secret\n") || strings.Count(msg, "\n") != 0 {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, leaked := range []string{"default-secret", "prod-secret", "local-secret"} {
				if strings.Contains(msg, leaked) || strings.Contains(s.String(), leaked) {
					t.Errorf("the withheld secret %q shows in %q / %q", leaked, msg, s.String())
				}
			}
			var target *SecretIssuerError
			if !errors.As(error(s.SecretWithheld), &target) {
				t.Error("SecretWithheld is not a *SecretIssuerError")
			}
		})
	}
}

func TestSecretWithheldSaysHowToUndo(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		"environment HELLO_ISSUER": "unset HELLO_ISSUER",
		"flag --domain":            "drop --domain",
	} {
		e := &SecretIssuerError{Section: "AUTH0", File: "/x/.config", SecretIssuer: "https://a/", Issuer: "https://b/", IssuerSource: src}
		if !strings.Contains(e.Error(), want) {
			t.Errorf("%s: %q lacks %q", src, e.Error(), want)
		}
	}
}
