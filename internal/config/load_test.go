package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		fs   bool
		e    env
	}{
		{name: "nil flag set"},
		{name: "no flags given", fs: true},
		{name: "empty environment variables count as unset", fs: true, e: env{
			"HELLO_ISSUER": "", "HELLO_DOMAIN": " ", "HELLO_CLIENT_ID": "", "HELLO_OUTPUT": "", "HELLO_CONFIG": "",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, tt.e)
			var got *Settings
			var err error
			if tt.fs {
				got, err = l.Load(flags(t))
			} else {
				got, err = l.Load(nil)
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := &Settings{
				Issuer:   "http://127.0.0.1:5055",
				ClientID: "hello-cli",
				Audience: "https://hello-world.example.com",
				APIURL:   "http://localhost:6060",
				Output:   "text",
				Sandbox:  true,
				Sources: map[string]string{
					"issuer": "default", "client_id": "default", "audience": "default", "api_url": "default", "output": "default",
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadSeedFile(t *testing.T) {
	t.Parallel()
	l := loader(t, nil)
	path := write(t, filepath.Join(l.WorkDir, ".config"), seedINI)
	got, err := l.Load(flags(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	src := func(sec, key string) string { return "config file " + path + " [" + sec + "] " + key }
	want := &Settings{
		Issuer:       "https://dev-abc123.us.auth0.com/",
		Domain:       "dev-abc123.us.auth0.com",
		ClientID:     "q8fij2iug0CmgPLfTfG1tZGdTQyGaTUA",
		ClientSecret: "s3cr3t-Xy;z#w",
		Audience:     "https://hello-world.example.com",
		APIURL:       "http://localhost:6060",
		Output:       "text",
		ConfigFile:   path,
		Sources: map[string]string{
			"config":        "default",
			"issuer":        src("AUTH0", "DOMAIN"),
			"domain":        src("AUTH0", "DOMAIN"),
			"client_id":     src("AUTH0", "CLIENT_ID"),
			"client_secret": src("AUTH0", "CLIENT_SECRET"),
			"audience":      src("AUTH0", "AUDIENCE"),
			"api_url":       src("WEBAPP", "API_SERVER_URL"),
			"output":        "default",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

// TestPrecedence sets each key in every combination of flag, environment
// and file and checks that the highest level present wins.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	type layers struct{ flag, env, file, def string }
	tests := []struct {
		key     string
		flag    string // "" when there is no flag
		env     string
		ini     string // "SECTION\nKEY", "" when the file cannot set it
		vals    layers // values per level; def is the expected default ("" = unset)
		get     func(*Settings) string
		caFiles bool // vals are file names to create as CA certificates
	}{
		{key: "issuer", flag: "issuer", env: "HELLO_ISSUER", ini: "AUTH0\nISSUER",
			vals: layers{"https://flag.example.com/", "https://env.example.com", "http://127.0.0.1:9999/", "http://127.0.0.1:5055"},
			get:  func(s *Settings) string { return s.Issuer }},
		{key: "domain", flag: "domain", env: "HELLO_DOMAIN", ini: "AUTH0\nDOMAIN",
			vals: layers{"flag.example.com", "env.example.com:8443", "file.example.com", ""},
			get:  func(s *Settings) string { return s.Domain }},
		{key: "client_id", flag: "client-id", env: "HELLO_CLIENT_ID", ini: "AUTH0\nCLIENT_ID",
			vals: layers{"flag-id", "env-id", "file-id", "hello-cli"},
			get:  func(s *Settings) string { return s.ClientID }},
		{key: "client_secret", env: "HELLO_CLIENT_SECRET", ini: "AUTH0\nCLIENT_SECRET",
			vals: layers{"", "env-secret", "file-secret", ""},
			get:  func(s *Settings) string { return s.ClientSecret }},
		{key: "audience", flag: "audience", env: "HELLO_AUDIENCE", ini: "AUTH0\nAUDIENCE",
			vals: layers{"flag-aud", "env-aud", "file-aud", "https://hello-world.example.com"},
			get:  func(s *Settings) string { return s.Audience }},
		{key: "api_url", flag: "api-url", env: "HELLO_API_URL", ini: "WEBAPP\nAPI_SERVER_URL",
			vals: layers{"https://flag.example.com/v1", "http://[::1]:7000", "https://file.example.com", "http://localhost:6060"},
			get:  func(s *Settings) string { return s.APIURL }},
		{key: "output", flag: "output", env: "HELLO_OUTPUT",
			vals: layers{"json", "text", "", "text"},
			get:  func(s *Settings) string { return s.Output }},
		{key: "ca_file", flag: "ca-file", env: "HELLO_CA_FILE", ini: "AUTH0\nCA_FILE", caFiles: true,
			vals: layers{"flag.pem", "env.pem", "file.pem", ""},
			get: func(s *Settings) string {
				if s.CAFile == "" {
					return ""
				}
				return filepath.Base(s.CAFile)
			}},
	}
	for _, tt := range tests {
		for mask := 0; mask < 8; mask++ {
			useFlag, useEnv, useFile := mask&1 != 0, mask&2 != 0, mask&4 != 0
			if useFlag && tt.flag == "" || useFile && tt.ini == "" {
				continue // this key cannot be set there
			}
			name := tt.key + "/" + strings.Join(filter([]string{"flag", "env", "file"}, []bool{useFlag, useEnv, useFile}), "+")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				l := loader(t, env{})
				vals := tt.vals
				if tt.caFiles {
					for _, v := range []*string{&vals.flag, &vals.env, &vals.file} {
						*v = writeCA(t, filepath.Join(l.WorkDir, *v))
					}
				}
				var args []string
				e := env{}
				want, wantSrc := vals.def, "default"
				if useFile {
					sec, key, _ := strings.Cut(tt.ini, "\n")
					path := write(t, filepath.Join(l.WorkDir, ".config"), "["+sec+"]\n"+key+"="+vals.file+"\n")
					want, wantSrc = vals.file, "config file "+path+" ["+sec+"] "+key
				}
				if useEnv {
					e[tt.env] = vals.env
					want, wantSrc = vals.env, "environment "+tt.env
				}
				if useFlag {
					args = append(args, "--"+tt.flag+"="+vals.flag)
					want, wantSrc = vals.flag, "flag --"+tt.flag
				}
				l.Getenv = e.lookup
				s, err := l.Load(flags(t, args...))
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if tt.key == "api_url" {
					want = strings.TrimRight(want, "/")
				}
				if want == "" {
					wantSrc = ""
				}
				if tt.caFiles && want != "" {
					want = filepath.Base(want)
				}
				if got := tt.get(s); got != want {
					t.Errorf("%s = %q, want %q", tt.key, got, want)
				}
				if got := s.Sources[tt.key]; got != wantSrc {
					t.Errorf("Sources[%q] = %q, want %q", tt.key, got, wantSrc)
				}
			})
		}
	}
}

func filter(names []string, keep []bool) []string {
	var out []string
	for i, n := range names {
		if keep[i] {
			out = append(out, n)
		}
	}
	if out == nil {
		return []string{"none"}
	}
	return out
}

func TestConfigFileLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(t *testing.T, l Loader) (args []string, e env)
		wantFile func(l Loader) string // "" for none
		wantErr  string
	}{
		{
			name: "./.config preferred over ConfigHome",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				write(t, filepath.Join(l.WorkDir, ".config"), "[AUTH0]\nCLIENT_ID=a\n")
				write(t, filepath.Join(l.ConfigHome, "hello", "config"), "[AUTH0]\nCLIENT_ID=b\n")
				return nil, nil
			},
			wantFile: func(l Loader) string { return filepath.Join(l.WorkDir, ".config") },
		},
		{
			name: "ConfigHome when no ./.config",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				write(t, filepath.Join(l.ConfigHome, "hello", "config"), "[AUTH0]\nCLIENT_ID=b\n")
				return nil, nil
			},
			wantFile: func(l Loader) string { return filepath.Join(l.ConfigHome, "hello", "config") },
		},
		{
			name: "./.config directory (as in $HOME) is skipped",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				write(t, filepath.Join(l.WorkDir, ".config", "hello", "config"), "[AUTH0]\nCLIENT_ID=b\n")
				return nil, nil
			},
			wantFile: func(Loader) string { return "" },
		},
		{
			name: "--config relative to WorkDir beats ./.config",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				write(t, filepath.Join(l.WorkDir, ".config"), "")
				write(t, filepath.Join(l.WorkDir, "other.ini"), "")
				return []string{"--config", "other.ini"}, nil
			},
			wantFile: func(l Loader) string { return filepath.Join(l.WorkDir, "other.ini") },
		},
		{
			name: "HELLO_CONFIG",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				p := write(t, filepath.Join(l.ConfigHome, "x.ini"), "")
				return nil, env{"HELLO_CONFIG": p}
			},
			wantFile: func(l Loader) string { return filepath.Join(l.ConfigHome, "x.ini") },
		},
		{
			name: "--config missing",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				write(t, filepath.Join(l.WorkDir, ".config"), "")
				return []string{"--config=nope.ini"}, nil
			},
			wantErr: `bad config "WORKDIR/nope.ini" (from flag --config): config file not found: `,
		},
		{
			name: "HELLO_CONFIG missing",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				return nil, env{"HELLO_CONFIG": filepath.Join(l.WorkDir, "nope")}
			},
			wantErr: `bad config "WORKDIR/nope" (from environment HELLO_CONFIG): config file not found: `,
		},
		{
			name: "--config directory",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				return []string{"--config", l.WorkDir}, nil
			},
			wantErr: `bad config "WORKDIR" (from flag --config): is a directory, not a file`,
		},
		{
			name: "malformed INI names file and line",
			setup: func(t *testing.T, l Loader) ([]string, env) {
				write(t, filepath.Join(l.WorkDir, ".config"), "[AUTH0]\nCLIENT_ID=x\nDOMAIN\n")
				return nil, nil
			},
			wantErr: `bad config "WORKDIR/.config" (from default): invalid INI: line 3: expected KEY=VALUE, a [SECTION] header or a ; comment`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, nil)
			args, e := tt.setup(t, l)
			l.Getenv = e.lookup
			s, err := l.Load(flags(t, args...))
			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "WORKDIR", l.WorkDir)
				var ce *Error
				if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("Load error = %v, want *Error starting %q", err, want)
				}
				if strings.Contains(want, "not found") && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Load error %v does not wrap fs.ErrNotExist", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := s.ConfigFile, tt.wantFile(l); got != want {
				t.Errorf("ConfigFile = %q, want %q", got, want)
			}
		})
	}
}

func TestCaseInsensitiveINIAndWarnings(t *testing.T) {
	t.Parallel()
	l := loader(t, nil)
	write(t, filepath.Join(l.WorkDir, ".config"),
		"[auth0]\nclient_id=lower\nIssuer=https://id.example.com\nCLIENTID=typo\n[Webapp]\nApi_Server_Url=https://api.example.com/\nsecret_key=x\n[EXTRA]\nA=1\n")
	s, err := l.Load(nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := []string{s.ClientID, s.Issuer, s.APIURL}
	if diff := cmp.Diff([]string{"lower", "https://id.example.com", "https://api.example.com"}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	p := filepath.Join(l.WorkDir, ".config")
	wantWarn := []string{
		"config file " + p + ": unknown key [AUTH0] CLIENTID ignored (did you mean [AUTH0] CLIENT_ID?)",
		"config file " + p + ": unknown key [EXTRA] A ignored",
	}
	if diff := cmp.Diff(wantWarn, s.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}

func TestCAFile(t *testing.T) {
	t.Parallel()
	t.Run("relative to the config file", func(t *testing.T) {
		t.Parallel()
		l := loader(t, nil)
		dir := filepath.Join(l.ConfigHome, "hello")
		ca := writeCA(t, filepath.Join(dir, "ca.pem"))
		write(t, filepath.Join(dir, "config"), "[AUTH0]\nCA_FILE=ca.pem\n")
		s, err := l.Load(nil)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if s.CAFile != ca {
			t.Errorf("CAFile = %q, want %q", s.CAFile, ca)
		}
	})
	for _, tt := range []struct{ name, content, want string }{
		{"missing", "", `bad ca_file "WORKDIR/ca.pem" (from environment HELLO_CA_FILE): cannot read the CA file: open `},
		{"not PEM", "hello", `bad ca_file "WORKDIR/ca.pem" (from environment HELLO_CA_FILE): must contain at least one PEM certificate`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, nil)
			p := filepath.Join(l.WorkDir, "ca.pem")
			if tt.content != "" {
				write(t, p, tt.content)
			}
			l.Getenv = env{"HELLO_CA_FILE": p}.lookup
			_, err := l.Load(nil)
			want := strings.ReplaceAll(tt.want, "WORKDIR", l.WorkDir)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Load error = %v, want prefix %q", err, want)
			}
		})
	}
}

func TestBindFlags(t *testing.T) {
	t.Parallel()
	fs := flags(t, "-o", "json")
	for _, name := range []string{"issuer", "domain", "client-id", "audience", "api-url", "config", "output", "ca-file"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag --%s not declared", name)
		}
	}
	if fs.Lookup("client-secret") != nil {
		t.Error("--client-secret must not exist: secrets stay out of argv")
	}
	s, err := Loader{Getenv: env{}.lookup, WorkDir: t.TempDir()}.Load(fs)
	if err != nil || s.Output != "json" {
		t.Errorf("Load(-o json) = %v, %v; want output json", s, err)
	}
}

// TestNewLoader only checks that the production Loader is usable; its
// values depend on the machine.
func TestNewLoader(t *testing.T) {
	t.Parallel()
	l := NewLoader()
	if l.Getenv == nil {
		t.Error("NewLoader().Getenv is nil")
	}
	if wd, err := os.Getwd(); err == nil && l.WorkDir != wd {
		t.Errorf("WorkDir = %q, want %q", l.WorkDir, wd)
	}
}
