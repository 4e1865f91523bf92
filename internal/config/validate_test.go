package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// loadWith runs Load with the given flags, environment and ./.config.
func loadWith(t *testing.T, args []string, e env, file string) (*Settings, error) {
	t.Helper()
	l := loader(t, e)
	if file != "" {
		write(t, filepath.Join(l.WorkDir, ".config"), file)
	}
	return l.Load(flags(t, args...))
}

func TestIssuerAndDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		env        env
		file       string
		wantIssuer string
		wantDomain string
		wantErr    string // substring; "" for success
	}{
		{name: "domain becomes https://DOMAIN/", env: env{"HELLO_DOMAIN": "dev-x.eu.auth0.com"},
			wantIssuer: "https://dev-x.eu.auth0.com/", wantDomain: "dev-x.eu.auth0.com"},
		{name: "domain with port", args: []string{"--domain", "login.example.com:8443"},
			wantIssuer: "https://login.example.com:8443/", wantDomain: "login.example.com:8443"},
		{name: "issuer kept exactly, without slash", args: []string{"--issuer", " https://id.example.com "},
			wantIssuer: "https://id.example.com"},
		{name: "issuer kept exactly, with path and slash", env: env{"HELLO_ISSUER": "https://id.example.com/realms/x/"},
			wantIssuer: "https://id.example.com/realms/x/"},
		{name: "flag issuer beats env domain", args: []string{"--issuer=https://a.example.com/"}, env: env{"HELLO_DOMAIN": "b.example.com"},
			wantIssuer: "https://a.example.com/"},
		{name: "env domain beats file issuer", env: env{"HELLO_DOMAIN": "b.example.com"}, file: "[AUTH0]\nISSUER=https://a.example.com/\n",
			wantIssuer: "https://b.example.com/", wantDomain: "b.example.com"},
		{name: "both flags", args: []string{"--issuer=https://a.example.com/", "--domain=b.example.com"},
			wantErr: `bad issuer "https://a.example.com/" (from flag --issuer and flag --domain): set either the issuer or the domain, not both`},
		{name: "both env", env: env{"HELLO_ISSUER": "https://a.example.com/", "HELLO_DOMAIN": "b.example.com"},
			wantErr: "(from environment HELLO_ISSUER and environment HELLO_DOMAIN): set either"},
		{name: "both in file", file: "[AUTH0]\nISSUER=https://a.example.com/\nDOMAIN=b.example.com\n",
			wantErr: "[AUTH0] ISSUER and config file "},
		{name: "domain with scheme", env: env{"HELLO_DOMAIN": "https://b.example.com"},
			wantErr: `bad domain "https://b.example.com" (from environment HELLO_DOMAIN): must be a bare host name such as dev-abc.us.auth0.com; for a full URL set the issuer`},
		{name: "domain with path", file: "[AUTH0]\nDOMAIN=b.example.com/x\n", wantErr: "bad domain \"b.example.com/x\""},
		{name: "domain with trailing slash", args: []string{"--domain=b.example.com/"}, wantErr: "for a full URL set the issuer"},
		{name: "domain with bad port", args: []string{"--domain=b.example.com:0"}, wantErr: "for a full URL set the issuer"},
		{name: "empty domain flag", args: []string{"--domain="}, wantErr: `bad domain (from flag --domain)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := loadWith(t, tt.args, tt.env, tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff([]string{tt.wantIssuer, tt.wantDomain}, []string{s.Issuer, s.Domain}); diff != "" {
				t.Errorf("issuer, domain (-want +got):\n%s", diff)
			}
			if s.Sandbox {
				t.Error("Sandbox = true with an issuer configured")
			}
		})
	}
}

func TestURLValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		wantErr string // "" when accepted
	}{
		{"https://auth.example.com", ""},
		{"https://auth.example.com:8443/tenant/", ""},
		{"http://localhost:5055", ""},
		{"http://LOCALHOST:5055/", ""},
		{"http://127.0.0.1:5055", ""},
		{"http://127.8.9.10", ""},
		{"http://[::1]:5055/", ""},
		{"http://auth.example.com", "http:// is only allowed for loopback hosts; use https://"},
		{"http://10.0.0.1", "http:// is only allowed for loopback hosts"},
		{"http://localhost.example.com", "http:// is only allowed for loopback hosts"},
		{"http://[::2]", "http:// is only allowed for loopback hosts"},
		{"ftp://auth.example.com", "must be an absolute https:// URL"},
		{"auth.example.com", "must be an absolute https:// URL"},
		{"/relative", "must be an absolute https:// URL"},
		{"https://", "with a host"},
		{"https:auth.example.com", "with a host"},
		{"https://:443/", "with a host"},
		{"https://auth.example.com/?x=1", "must not have a query or fragment"},
		{"https://auth.example.com/?", "must not have a query or fragment"},
		{"https://auth.example.com/#top", "must not have a query or fragment"},
		{"https://user:pw@auth.example.com/", "must not contain a user name or password"},
		{"https://auth.example.com:99999/", "port must be between 1 and 65535"},
		{"https://auth example.com/", "must be an absolute https:// URL"},
	}
	for _, tt := range tests {
		for _, k := range []struct{ key, env string }{{"issuer", "HELLO_ISSUER"}, {"api_url", "HELLO_API_URL"}} {
			t.Run(k.key+"/"+tt.value, func(t *testing.T) {
				t.Parallel()
				_, err := loadWith(t, nil, env{k.env: tt.value}, "")
				if tt.wantErr == "" {
					if err != nil {
						t.Errorf("Load: %v", err)
					}
					return
				}
				// A password in the URL is never echoed back.
				want := fmt.Sprintf("bad %s %q (from environment %s): ", k.key, strings.Replace(tt.value, ":pw@", ":xxxxx@", 1), k.env)
				var ce *Error
				if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Load error = %v, want *Error %q…%q", err, want, tt.wantErr)
				}
			})
		}
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  env
		file string
		want *Error
	}{
		{
			name: "http issuer from environment",
			env:  env{"HELLO_ISSUER": "http://auth.example.com"},
			want: &Error{Key: "issuer", Source: "environment HELLO_ISSUER", Value: "http://auth.example.com",
				Expected: "http:// is only allowed for loopback hosts; use https://"},
		},
		{
			name: "bad output flag",
			args: []string{"-o", "yaml"},
			want: &Error{Key: "output", Source: "flag --output", Value: "yaml", Expected: `must be "text" or "json"`},
		},
		{
			name: "bad output env",
			env:  env{"HELLO_OUTPUT": "JSON"},
			want: &Error{Key: "output", Source: "environment HELLO_OUTPUT", Value: "JSON", Expected: `must be "text" or "json"`},
		},
		{
			name: "empty client ID flag",
			args: []string{"--client-id="},
			want: &Error{Key: "client_id", Source: "flag --client-id", Expected: "must not be empty"},
		},
		{
			name: "api url from file",
			file: "[WEBAPP]\nAPI_SERVER_URL=http://api.example.com\n",
			want: &Error{Key: "api_url", Source: "config file WORKDIR [WEBAPP] API_SERVER_URL", Value: "http://api.example.com",
				Expected: "http:// is only allowed for loopback hosts; use https://"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, tt.env)
			if tt.file != "" {
				p := write(t, filepath.Join(l.WorkDir, ".config"), tt.file)
				tt.want.Source = strings.ReplaceAll(tt.want.Source, "WORKDIR", p)
			}
			_, err := l.Load(flags(t, tt.args...))
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("Load error = %v, want *Error", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	e := &Error{Key: "issuer", Source: "environment HELLO_ISSUER", Value: "http://auth.example.com", Expected: "http:// is only allowed for loopback hosts; use https://"}
	const want = `bad issuer "http://auth.example.com" (from environment HELLO_ISSUER): http:// is only allowed for loopback hosts; use https://`
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

// TestSecretNeverShown puts a recognisable secret next to every kind of
// mistake and in every printable form of Settings.
func TestSecretNeverShown(t *testing.T) {
	t.Parallel()
	const secret = "TOP-SECRET-0123456789"
	bad := []struct {
		name string
		args []string
		env  env
		file string
	}{
		{name: "bad issuer, secret in env", env: env{"HELLO_CLIENT_SECRET": secret, "HELLO_ISSUER": "http://x.example.com"}},
		{name: "bad api url, secret in file", file: "[AUTH0]\nCLIENT_SECRET=" + secret + "\n[WEBAPP]\nAPI_SERVER_URL=ftp://x\n"},
		{name: "conflict in file", file: "[AUTH0]\nCLIENT_SECRET=" + secret + "\nISSUER=https://a/\nDOMAIN=b\n"},
		{name: "malformed file", file: "[AUTH0]\nCLIENT_SECRET=" + secret + "\n" + secret + "\n"},
		{name: "bad output", args: []string{"-o=xml"}, env: env{"HELLO_CLIENT_SECRET": secret}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadWith(t, tt.args, tt.env, tt.file)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error text contains the secret: %v", err)
			}
		})
	}

	e := &Error{Key: KeyClientSecret, Source: "environment HELLO_CLIENT_SECRET", Value: secret, Expected: "x"}
	if strings.Contains(e.Error(), secret) {
		t.Errorf("*Error for client_secret shows its value: %v", e)
	}

	s, err := loadWith(t, nil, env{"HELLO_CLIENT_SECRET": secret}, "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.ClientSecret != secret {
		t.Fatalf("ClientSecret = %q, want the secret", s.ClientSecret)
	}
	j, _ := json.Marshal(s)
	rj, _ := json.Marshal(s.Redacted())
	for _, out := range []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s),
		fmt.Sprintf("%v %+v %#v", *s, *s, *s), string(j), string(rj), s.Redacted().ClientSecret,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows the secret: %s", out)
		}
	}
	if got := s.Redacted().ClientSecret; got != "[redacted]" {
		t.Errorf("Redacted().ClientSecret = %q", got)
	}
	if s.ClientSecret != secret {
		t.Error("Redacted modified the original")
	}
}
