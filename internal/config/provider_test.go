package config

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestLoadProviderAndPAR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		e             env
		file          string
		provider, par string
		wantErrKey    string
	}{
		{name: "unset", provider: "", par: ""},
		{name: "environment", e: env{"HELLO_PROVIDER": "Auth0", "HELLO_PAR": "yes"}, provider: "auth0", par: "true"},
		{name: "config file", file: "[AUTH0]\nPROVIDER=standard\nPAR=false\n", provider: "standard", par: "false"},
		{name: "environment beats file", e: env{"HELLO_PROVIDER": "auto"}, file: "[AUTH0]\nPROVIDER=auth0\n", provider: "auto"},
		{name: "bad provider", e: env{"HELLO_PROVIDER": "okta"}, wantErrKey: KeyProvider},
		{name: "bad par", e: env{"HELLO_PAR": "maybe"}, wantErrKey: KeyPAR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, tt.e)
			if tt.file != "" {
				write(t, filepath.Join(l.WorkDir, ".config"), tt.file)
			}
			s, err := l.Load(flags(t))
			if tt.wantErrKey != "" {
				var ce *Error
				if !errors.As(err, &ce) || ce.Key != tt.wantErrKey {
					t.Fatalf("err = %v, want a bad %s", err, tt.wantErrKey)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Provider != tt.provider || s.PAR != tt.par {
				t.Fatalf("provider %q par %q, want %q %q", s.Provider, s.PAR, tt.provider, tt.par)
			}
			if len(s.Warnings) != 0 {
				t.Fatalf("warnings: %v", s.Warnings)
			}
		})
	}
}

func TestProviderAndPARInAProfile(t *testing.T) {
	t.Parallel()
	l := loader(t, env{"HELLO_PROFILE": "strict"})
	write(t, filepath.Join(l.WorkDir, ".config"), "[AUTH0]\nPROVIDER=auth0\n[profile strict]\nISSUER=https://op.example\nPROVIDER=standard\nPAR=true\n")
	s, err := l.Load(flags(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Provider != "standard" || s.PAR != "true" || len(s.Warnings) != 0 {
		t.Fatalf("profile strict: provider %q par %q warnings %v", s.Provider, s.PAR, s.Warnings)
	}
}
