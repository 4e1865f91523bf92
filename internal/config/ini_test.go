package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const seedINI = `[AUTH0]
CLIENT_ID=q8fij2iug0CmgPLfTfG1tZGdTQyGaTUA
CLIENT_SECRET=s3cr3t-Xy;z#w
DOMAIN=dev-abc123.us.auth0.com
AUDIENCE=https://hello-world.example.com
[WEBAPP]
SECRET_KEY=
API_SERVER_URL=http://localhost:6060
`

func TestParseINI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want iniFile
	}{
		{
			name: "seed",
			in:   seedINI,
			want: iniFile{
				"auth0": {
					"client_id":     "q8fij2iug0CmgPLfTfG1tZGdTQyGaTUA",
					"client_secret": "s3cr3t-Xy;z#w", // no inline comments, as in configparser
					"domain":        "dev-abc123.us.auth0.com",
					"audience":      "https://hello-world.example.com",
				},
				"webapp": {"secret_key": "", "api_server_url": "http://localhost:6060"},
			},
		},
		{
			name: "case-insensitive names, comments, spaces, BOM",
			in:   "\xef\xbb\xbf; comment\n# comment\n[Auth0]\n  Client_Id = abc  \n[auth0]\nDOMAIN : x.example.com\n",
			want: iniFile{"auth0": {"client_id": "abc", "domain": "x.example.com"}},
		},
		{
			name: "keys before any section",
			in:   "issuer=https://x/\n",
			want: iniFile{"default": {"issuer": "https://x/"}},
		},
		{name: "section without keys", in: "[AUTH0]\n[WEBAPP]\nSECRET_KEY=k\n", want: iniFile{"webapp": {"secret_key": "k"}}},
		{name: "empty", in: "", want: iniFile{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseINI([]byte(tt.in))
			if err != nil {
				t.Fatalf("parseINI: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseINI (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseINIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"no delimiter", "[AUTH0]\nCLIENT_ID=x\nthis is not a key\n", 3, "line 3: expected KEY=VALUE"},
		{"unclosed section", "; hi\n[AUTH0\nCLIENT_ID=x\n", 2, "line 2: section header without closing ']'"},
		{"empty key", "[AUTH0]\n=x\n", 2, "line 2: empty key name before '='"},
		{"empty section", "\n\n[]\n", 3, "line 3: empty section name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseINI([]byte(tt.in))
			syn, ok := err.(*syntaxError)
			if !ok {
				t.Fatalf("parseINI error = %#v, want *syntaxError", err)
			}
			if syn.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("parseINI error = %q (line %d), want line %d and %q", err, syn.Line, tt.line, tt.msg)
			}
		})
	}
}

// FuzzINI feeds arbitrary bytes to the parser: it must never panic, and what
// it accepts must have the lower-case names Load relies on.
func FuzzINI(f *testing.F) {
	for _, s := range []string{
		seedINI, "", "[a]\nb=c", "[AUTH0\n", "=x", "[a]\nk=\"\"\"v\n", "\xef\xbb\xbfk=v", "[a.b]\nc.d=e", "[]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseINI(b)
		if err != nil {
			if _, ok := err.(*syntaxError); !ok {
				t.Fatalf("parseINI error = %#v, want *syntaxError", err)
			}
			return
		}
		for sec, keys := range got {
			if sec != strings.ToLower(sec) {
				t.Errorf("section %q is not lower case", sec)
			}
			if len(keys) == 0 {
				t.Errorf("section %q has no keys", sec)
			}
			for k := range keys {
				if k != strings.ToLower(k) {
					t.Errorf("key %q is not lower case", k)
				}
			}
		}
	})
}
