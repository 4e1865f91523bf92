package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// threeProfiles is a seed file with sandbox, staging and prod beside it.
const threeProfiles = `[AUTH0]
DOMAIN=dev-seed.us.auth0.com
CLIENT_ID=seed-client
CLIENT_SECRET=seed-secret
AUDIENCE=https://seed.example.com

[WEBAPP]
API_SERVER_URL=https://api.seed.example.com
SECRET_KEY=

[profile sandbox]
ISSUER=http://127.0.0.1:5055
API_SERVER_URL=http://localhost:6060

[Profile Staging]
DOMAIN=staging.eu.auth0.com
CLIENT_ID=staging-client
API_SERVER_URL=https://api.staging.example.com

[profile prod]
ISSUER=https://login.example.com/
CLIENT_ID=prod-client
AUDIENCE=https://api.example.com
API_SERVER_URL=https://api.example.com
`

func TestProfiles(t *testing.T) {
	t.Parallel()
	type want struct {
		profile, choice                       string
		issuer, clientID, secret, aud, apiURL string
		apiSource                             string
	}
	seed := want{profile: "default", choice: "default (the default: no --profile or HELLO_PROFILE)",
		issuer: "https://dev-seed.us.auth0.com/", clientID: "seed-client", secret: "seed-secret", aud: "https://seed.example.com", apiURL: "https://api.seed.example.com",
		apiSource: "[WEBAPP] API_SERVER_URL"}
	tests := []struct {
		name string
		args []string
		env  env
		want want
	}{
		{name: "seed sections are the default profile", want: seed},
		{name: "explicit default", args: []string{"--profile", "default"},
			want: func() want { w := seed; w.choice = "default (from flag --profile)"; return w }()},
		{name: "flag", args: []string{"--profile=sandbox"},
			want: want{profile: "sandbox", choice: "sandbox (from flag --profile)",
				issuer: "http://127.0.0.1:5055", clientID: DefaultClientID, aud: DefaultAudience, apiURL: "http://localhost:6060",
				apiSource: "[profile sandbox] API_SERVER_URL"}},
		{name: "environment, any case", env: env{"HELLO_PROFILE": "STAGING"},
			want: want{profile: "staging", choice: "staging (from environment HELLO_PROFILE)",
				issuer: "https://staging.eu.auth0.com/", clientID: "staging-client", aud: DefaultAudience, apiURL: "https://api.staging.example.com",
				apiSource: "[profile staging] API_SERVER_URL"}},
		{name: "flag beats environment", args: []string{"--profile", "prod"}, env: env{"HELLO_PROFILE": "staging"},
			want: want{profile: "prod", choice: "prod (from flag --profile)",
				issuer: "https://login.example.com/", clientID: "prod-client", aud: "https://api.example.com", apiURL: "https://api.example.com",
				apiSource: "[profile prod] API_SERVER_URL"}},
		{name: "environment beats the profile's values", args: []string{"--profile", "prod"}, env: env{"HELLO_API_URL": "http://localhost:7070"},
			want: want{profile: "prod", choice: "prod (from flag --profile)",
				issuer: "https://login.example.com/", clientID: "prod-client", aud: "https://api.example.com", apiURL: "http://localhost:7070",
				apiSource: "environment HELLO_API_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := loadWith(t, tt.args, tt.env, threeProfiles)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := want{s.ProfileName(), s.ProfileChoice(), s.Issuer, s.ClientID, s.ClientSecret, s.Audience, s.APIURL, s.Sources[KeyAPIURL]}
			if !strings.HasSuffix(got.apiSource, tt.want.apiSource) {
				t.Errorf("api_url source %q, want …%q", got.apiSource, tt.want.apiSource)
			}
			got.apiSource = tt.want.apiSource
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(s.Warnings) != 0 {
				t.Errorf("warnings: %v", s.Warnings)
			}
		})
	}
}

func TestProfileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  env
		file string
		want string
	}{
		{name: "unknown profile", args: []string{"--profile", "stagin"}, file: threeProfiles,
			want: `bad profile "stagin" (from flag --profile): CONFIG has no [profile stagin] section; its profiles are prod, sandbox, staging, and default`},
		{name: "no profiles at all", env: env{"HELLO_PROFILE": "prod"}, file: "[AUTH0]\nDOMAIN=x.auth0.com\n",
			want: `bad profile "prod" (from environment HELLO_PROFILE): CONFIG has no [profile prod] section (it defines no profiles)`},
		{name: "no config file", args: []string{"--profile", "prod"},
			want: `bad profile "prod" (from flag --profile): no config file defines it; add a [profile prod] section`},
		{name: "path as a name", args: []string{"--profile", "../etc"}, file: threeProfiles,
			want: `bad profile "../etc" (from flag --profile): a profile name is up to 64 letters`},
		{name: "empty flag", args: []string{"--profile="}, file: threeProfiles,
			want: `bad profile (from flag --profile): a profile name is`},
		{name: "bad value inside the profile names its section", args: []string{"--profile", "p"}, file: "[profile p]\nAPI_SERVER_URL=http://api.example.com\n",
			want: `bad api_url "http://api.example.com" (from config file CONFIG [profile p] API_SERVER_URL): http:// is only allowed for loopback hosts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, tt.env)
			want := tt.want
			if tt.file != "" {
				p := write(t, filepath.Join(l.WorkDir, ".config"), tt.file)
				want = strings.ReplaceAll(want, "CONFIG", p)
			}
			_, err := l.Load(flags(t, tt.args...))
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Load error = %v\nwant *Error starting %q", err, want)
			}
		})
	}
}

func TestProfileWarningsAndFiles(t *testing.T) {
	t.Parallel()
	l := loader(t, nil)
	p := write(t, filepath.Join(l.WorkDir, ".config"), "[profile ci]\nISSUER=https://id.example.com/\nCLIENTID=typo\nCA_FILE=ca.pem\n[profile bad.name]\nISSUER=https://x.example.com/\n[profile default]\nISSUER=https://y.example.com/\n")
	writeCA(t, filepath.Join(l.WorkDir, "ca.pem"))
	s, err := l.Load(flags(t, "--profile", "ci"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.CAFile != filepath.Join(l.WorkDir, "ca.pem") {
		t.Errorf("CA file %q, want it relative to the config file", s.CAFile)
	}
	wantWarnings := []string{
		"config file " + p + ": section [profile bad.name] ignored: a profile name is up to 64 letters, digits, '-' and '_'",
		"config file " + p + ": section [profile default] ignored: the default profile is the [AUTH0] and [WEBAPP] sections",
		"config file " + p + ": unknown key [profile ci] CLIENTID ignored",
	}
	if diff := cmp.Diff(wantWarnings, s.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.String(), `profile="ci" (flag --profile)`) {
		t.Errorf("String() does not name the profile:\n%s", s)
	}
}

func TestProfilesForCompletion(t *testing.T) {
	t.Parallel()
	l := loader(t, nil)
	if got := l.Profiles(nil); !cmp.Equal(got, []string{"default"}) {
		t.Errorf("no file: %v", got)
	}
	write(t, filepath.Join(l.WorkDir, ".config"), threeProfiles)
	if got, want := l.Profiles(flags(t)), []string{"default", "prod", "sandbox", "staging"}; !cmp.Equal(got, want) {
		t.Errorf("Profiles = %v, want %v", got, want)
	}
	other := write(t, filepath.Join(t.TempDir(), "other.ini"), "[profile only]\nISSUER=https://x.example.com/\n")
	if got, want := l.Profiles(flags(t, "--config", other)), []string{"default", "only"}; !cmp.Equal(got, want) {
		t.Errorf("with --config: %v, want %v", got, want)
	}
	write(t, filepath.Join(l.WorkDir, ".config"), "not [ini")
	if got := l.Profiles(nil); !cmp.Equal(got, []string{"default"}) {
		t.Errorf("broken file: %v", got)
	}
}

func TestSessionDirs(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	if got := (Settings{}).SessionDir(base); got != base {
		t.Errorf("default profile: %s", got)
	}
	staging := Settings{Profile: "staging"}.SessionDir(base)
	if staging != filepath.Join(base, "profiles", "staging") {
		t.Errorf("staging: %s", staging)
	}
	got, err := SessionDirs(base)
	if err != nil || !cmp.Equal(got, []ProfileDir{{"default", base}}) {
		t.Errorf("SessionDirs before any profile = %v, %v", got, err)
	}
	for _, d := range []string{staging, filepath.Join(base, "profiles", "prod"), filepath.Join(base, "profiles", "Not.A.Profile")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(base, "profiles", "stray-file"), "")
	got, err = SessionDirs(base)
	want := []ProfileDir{{"default", base}, {"prod", filepath.Join(base, "profiles", "prod")}, {"staging", staging}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("SessionDirs = %v, %v, want %v", got, err, want)
	}
}

func TestValidProfile(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"prod": true, "a": true, "staging-eu_2": true, "0": true, strings.Repeat("x", 64): true,
		"": false, "-x": false, "_x": false, "Prod": false, "a.b": false, "a/b": false, "..": false, "a b": false, strings.Repeat("x", 65): false,
	} {
		if got := validProfile(s); got != want {
			t.Errorf("validProfile(%q) = %v", s, got)
		}
	}
}
