package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenStorage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		e       env
		ini     string
		want    string
		source  string
		wantErr string
	}{
		{name: "unset means the default", want: ""},
		{name: "config file", ini: "[HELLO]\nTOKEN_STORAGE=file\n", want: "file", source: "[HELLO] TOKEN_STORAGE"},
		{name: "environment over file", ini: "[HELLO]\nTOKEN_STORAGE=file\n", e: env{"HELLO_TOKEN_STORAGE": "keyring"}, want: "keyring", source: "environment HELLO_TOKEN_STORAGE"},
		{name: "flag over environment", args: []string{"--token-storage", "AUTO"}, e: env{"HELLO_TOKEN_STORAGE": "file"}, want: "auto", source: "flag --token-storage"},
		{name: "bad value names its source", e: env{"HELLO_TOKEN_STORAGE": "vault"}, wantErr: `HELLO_TOKEN_STORAGE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, tt.e)
			if tt.ini != "" {
				write(t, filepath.Join(l.WorkDir, ".config"), tt.ini)
			}
			s, err := l.Load(flags(t, tt.args...))
			if tt.wantErr != "" {
				var ce *Error
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `"auto", "keyring" or "file"`) {
					t.Fatalf("Load = %v; want a config error naming %s and the choices", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.TokenStorage != tt.want || !strings.Contains(s.Sources[KeyTokenStorage], tt.source) {
				t.Errorf("TokenStorage = %q from %q, want %q from %q", s.TokenStorage, s.Sources[KeyTokenStorage], tt.want, tt.source)
			}
			if len(s.Warnings) != 0 {
				t.Errorf("warnings: %v", s.Warnings)
			}
		})
	}
}

func TestTokenStoragePerProfile(t *testing.T) {
	t.Parallel()
	ini := "[HELLO]\nTOKEN_STORAGE=keyring\n[profile ci]\nISSUER=https://ci.example.com/\nTOKEN_STORAGE=file\n[profile dev]\nISSUER=https://dev.example.com/\n"
	for _, tt := range []struct {
		profile, want, source string
	}{
		{profile: "", want: "keyring", source: "[HELLO] TOKEN_STORAGE"},
		{profile: "dev", want: "keyring", source: "[HELLO] TOKEN_STORAGE"},
		{profile: "ci", want: "file", source: "[profile ci] TOKEN_STORAGE"},
	} {
		t.Run("profile "+tt.profile, func(t *testing.T) {
			t.Parallel()
			l := loader(t, nil)
			write(t, filepath.Join(l.WorkDir, ".config"), ini)
			var args []string
			if tt.profile != "" {
				args = []string{"--profile", tt.profile}
			}
			s, err := l.Load(flags(t, args...))
			if err != nil {
				t.Fatal(err)
			}
			if s.TokenStorage != tt.want || !strings.Contains(s.Sources[KeyTokenStorage], tt.source) {
				t.Errorf("TokenStorage = %q from %q, want %q from %q", s.TokenStorage, s.Sources[KeyTokenStorage], tt.want, tt.source)
			}
			if len(s.Warnings) != 0 {
				t.Errorf("warnings: %v", s.Warnings)
			}
		})
	}
}
