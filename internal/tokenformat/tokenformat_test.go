package tokenformat

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln-_"

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func write(t *testing.T, format string, tok Token) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, tok, now); err != nil {
		t.Fatalf("Write %s: %v", format, err)
	}
	return b.String()
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tok := Token{Value: jwt, Type: "bearer", Expiry: now.Add(90*time.Second + 500*time.Millisecond), Scopes: []string{"openid", "profile"}, EnvName: "HELLO_ACCESS_TOKEN"}
	tests := []struct{ format, want string }{
		{Raw, jwt + "\n"},
		{Header, "Authorization: Bearer " + jwt + "\n"},
		{Env, "export HELLO_ACCESS_TOKEN='" + jwt + "'\n"},
		{JSON, `{
  "access_token": "` + jwt + `",
  "token_type": "Bearer",
  "expiry": "2026-12-01T12:01:30.5Z",
  "expires_in": 90,
  "scopes": [
    "openid",
    "profile"
  ]
}
`},
	}
	for _, tt := range tests {
		if got := write(t, tt.format, tok); got != tt.want {
			t.Errorf("%s:\n%s", tt.format, cmp.Diff(tt.want, got))
		}
	}
}

func TestJSONWithoutExpiryOrScopes(t *testing.T) {
	t.Parallel()
	var m map[string]any
	if err := json.Unmarshal([]byte(write(t, JSON, Token{Value: "opaque"})), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"access_token": "opaque", "token_type": "Bearer", "expiry": nil, "expires_in": nil, "scopes": []any{}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestEnvSurvivesTheShell evaluates the env format in a real sh for tokens
// with every character a shell treats specially.
func TestEnvSurvivesTheShell(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, v := range []string{jwt, "it's", `a'b''c`, "$(touch /tmp/pwned)", "`id`", `back\slash`, "~root", "a b  c", `"dq"`, "*", "!x", "${HOME}", ";|&<>"} {
		line := write(t, Env, Token{Value: v, EnvName: "TOK"})
		out, err := exec.Command(sh, "-c", line+`printf %s "$TOK"`).Output()
		if err != nil {
			t.Fatalf("sh -c %q: %v", line, err)
		}
		if string(out) != v {
			t.Errorf("token %q came back from sh as %q (line %q)", v, out, line)
		}
	}
}

func TestUnsafeTokensRefused(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"abc\r\nX-Injected: 1", "abc\n", "a\x1b[2Jb", "tok\x00", "caf\u00e9"} {
		for _, f := range Formats() {
			var b bytes.Buffer
			err := Write(&b, f, Token{Value: v, EnvName: "T"}, now)
			if !errors.Is(err, ErrUnsafeToken) || b.Len() != 0 {
				t.Errorf("%s of %q: err %v, wrote %q", f, v, err, b.String())
			}
		}
	}
}

func TestUnsafeTypeRefusedAsHeader(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"Bearer\r\nX-Injected: 1", "Bearer\x1b[2J", "Bearer x", "B\u00e9arer"} {
		var b bytes.Buffer
		err := Write(&b, Header, Token{Value: "abc", Type: typ}, now)
		if !errors.Is(err, ErrUnsafeType) || b.Len() != 0 {
			t.Errorf("header of type %q: err %v, wrote %q", typ, err, b.String())
		}
	}
	for _, typ := range []string{"", "bearer", "DPoP", "N_A"} {
		var b bytes.Buffer
		if err := Write(&b, Header, Token{Value: "abc", Type: typ}, now); err != nil {
			t.Errorf("header of type %q: %v", typ, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format string
		tok    Token
		want   string
	}{
		{"yaml", Token{Value: "x"}, `unknown token format "yaml": use one of raw, header, env, json`},
		{Env, Token{Value: "x", EnvName: "1BAD"}, `bad environment variable name "1BAD"`},
		{Env, Token{Value: "x", EnvName: "A;rm"}, `bad environment variable name`},
		{Raw, Token{}, "no token"},
	} {
		err := Write(&bytes.Buffer{}, tt.format, tt.tok, now)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v: err %v, want %q", tt.format, tt.tok, err, tt.want)
		}
	}
	if !Valid(Header) || Valid("HEADER") {
		t.Error("Valid is wrong")
	}
}

func FuzzEnvQuote(f *testing.F) {
	for _, s := range []string{jwt, "it's", "'''", `\'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := shellQuote(s)
		// Undo the quoting the way sh reads it: outside quotes only \' occurs.
		var got strings.Builder
		in := false
		for i := 0; i < len(q); i++ {
			switch {
			case q[i] == '\'':
				in = !in
			case !in && q[i] == '\\' && i+1 < len(q):
				i++
				got.WriteByte(q[i])
			case !in:
				t.Fatalf("unquoted byte %q in %q", q[i], q)
			default:
				got.WriteByte(q[i])
			}
		}
		if in || got.String() != s {
			t.Fatalf("shellQuote(%q) = %q reads back as %q", s, q, got.String())
		}
	})
}
