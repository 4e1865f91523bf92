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

func TestINIDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{
			name: "seed",
			in:   seedINI,
			want: map[string]any{
				"auth0": map[string]any{
					"client_id":     "q8fij2iug0CmgPLfTfG1tZGdTQyGaTUA",
					"client_secret": "s3cr3t-Xy;z#w", // no inline comments, as in configparser
					"domain":        "dev-abc123.us.auth0.com",
					"audience":      "https://hello-world.example.com",
				},
				"webapp": map[string]any{"secret_key": "", "api_server_url": "http://localhost:6060"},
			},
		},
		{
			name: "case-insensitive names, comments, spaces, BOM",
			in:   "\xef\xbb\xbf; comment\n# comment\n[Auth0]\n  Client_Id = abc  \n[auth0]\nDOMAIN : x.example.com\n",
			want: map[string]any{"auth0": map[string]any{"client_id": "abc", "domain": "x.example.com"}},
		},
		{
			name: "keys before any section",
			in:   "issuer=https://x/\n",
			want: map[string]any{"default": map[string]any{"issuer": "https://x/"}},
		},
		{name: "empty", in: "", want: map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := map[string]any{}
			if err := (iniCodec{}).Decode([]byte(tt.in), got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestINIDecodeErrors(t *testing.T) {
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
			err := (iniCodec{}).Decode([]byte(tt.in), map[string]any{})
			syn, ok := err.(*syntaxError)
			if !ok {
				t.Fatalf("Decode error = %#v, want *syntaxError", err)
			}
			if syn.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Decode error = %q (line %d), want line %d and %q", err, syn.Line, tt.line, tt.msg)
			}
		})
	}
}

func TestINIRoundTrip(t *testing.T) {
	t.Parallel()
	first := map[string]any{}
	if err := (iniCodec{}).Decode([]byte(seedINI), first); err != nil {
		t.Fatal(err)
	}
	b, err := (iniCodec{}).Encode(first)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	second := map[string]any{}
	if err := (iniCodec{}).Decode(b, second); err != nil {
		t.Fatalf("Decode(Encode()): %v\n%s", err, b)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("round trip (-want +got):\n%s\n%s", diff, b)
	}
}

// FuzzINI feeds arbitrary bytes to the codec: it must never panic, and what
// it accepts must have the section -> key -> string shape Load relies on.
func FuzzINI(f *testing.F) {
	for _, s := range []string{
		seedINI, "", "[a]\nb=c", "[AUTH0\n", "=x", "[a]\nk=\"\"\"v\n", "\xef\xbb\xbfk=v", "[a.b]\nc.d=e", "[]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := map[string]any{}
		if err := (iniCodec{}).Decode(b, got); err != nil {
			return
		}
		for sec, m := range got {
			keys, ok := m.(map[string]any)
			if !ok {
				t.Fatalf("section %q is %T, want map[string]any", sec, m)
			}
			if sec != strings.ToLower(sec) {
				t.Errorf("section %q is not lower case", sec)
			}
			for k, v := range keys {
				if _, ok := v.(string); !ok {
					t.Errorf("[%s] %s is %T, want string", sec, k, v)
				}
				if k != strings.ToLower(k) {
					t.Errorf("key %q is not lower case", k)
				}
			}
		}
	})
}
