// Package tokenformat writes a token in the shape the next tool wants:
// alone, as an HTTP header for `curl -H @-`, as a shell assignment for
// eval, or as JSON.
package tokenformat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The formats of `hello token --format`.
const (
	Raw    = "raw"
	Header = "header"
	Env    = "env"
	JSON   = "json"
)

// Formats lists every format, for help and shell completion.
func Formats() []string { return []string{Raw, Header, Env, JSON} }

// Valid reports whether f is one of Formats.
func Valid(f string) bool {
	for _, v := range Formats() {
		if f == v {
			return true
		}
	}
	return false
}

// Token is what gets printed.
type Token struct {
	Value  string
	Type   string    // "Bearer" when empty
	Expiry time.Time // zero: the provider gave no lifetime
	Scopes []string
	// EnvName is the variable the env format assigns.
	EnvName string
	// ID marks an ID token: json names it id_token.
	ID bool
}

// ErrUnsafeToken is returned for a token holding bytes no OAuth token may
// contain (RFC 6749 allows printable ASCII only): printed as a header or a
// shell assignment it could inject another header or a command.
var ErrUnsafeToken = errors.New("the token contains characters no OAuth token may contain (only printable ASCII is allowed); it is not printed")

// ErrUnsafeType is returned by the header format for a token type that
// cannot be an Authorization scheme (RFC 9110 §11.1: a token): the provider
// chose it, and a line break or an escape sequence in it would add a header
// for curl -H @- or be obeyed by the terminal.
var ErrUnsafeType = errors.New(`the provider's token type cannot be printed as an Authorization header: use --format raw or --format json (the type holds characters an HTTP scheme may not contain)`)

// Write prints tok in format to w. now is used for json's expires_in.
func Write(w io.Writer, format string, tok Token, now time.Time) error {
	if tok.Value == "" {
		return errors.New("no token to print")
	}
	if !printable(tok.Value) {
		return ErrUnsafeToken
	}
	typ := bearer(tok.Type)
	var err error
	switch format {
	case Raw:
		_, err = fmt.Fprintln(w, tok.Value)
	case Header:
		if !httpToken(typ) {
			return ErrUnsafeType
		}
		_, err = fmt.Fprintf(w, "Authorization: %s %s\n", typ, tok.Value)
	case Env:
		name := tok.EnvName
		if !validEnvName(name) {
			return fmt.Errorf("bad environment variable name %q: use letters, digits and underscores", name)
		}
		_, err = fmt.Fprintf(w, "export %s=%s\n", name, shellQuote(tok.Value))
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(jsonValue(tok, typ, now))
	default:
		return fmt.Errorf("unknown token format %q: use one of %s", format, strings.Join(Formats(), ", "))
	}
	return err
}

// jsonToken is the json format; field names follow RFC 6749's token response.
type jsonToken struct {
	AccessToken string     `json:"access_token,omitempty"`
	IDToken     string     `json:"id_token,omitempty"`
	TokenType   string     `json:"token_type"`
	Expiry      *time.Time `json:"expiry"`     // null when unknown
	ExpiresIn   *int64     `json:"expires_in"` // whole seconds left, null when unknown
	Scopes      []string   `json:"scopes"`
}

// JSONValue is the json format as a value, for a caller that prints it
// itself (through a --jq filter). It refuses the same tokens Write does.
func JSONValue(tok Token, now time.Time) (any, error) {
	if tok.Value == "" {
		return nil, errors.New("no token to print")
	}
	if !printable(tok.Value) {
		return nil, ErrUnsafeToken
	}
	return jsonValue(tok, bearer(tok.Type), now), nil
}

func jsonValue(tok Token, typ string, now time.Time) jsonToken {
	j := jsonToken{TokenType: typ, Scopes: tok.Scopes}
	if tok.ID {
		j.IDToken = tok.Value
	} else {
		j.AccessToken = tok.Value
	}
	if j.Scopes == nil {
		j.Scopes = []string{}
	}
	if !tok.Expiry.IsZero() {
		exp := tok.Expiry.UTC()
		left := max(int64(exp.Sub(now)/time.Second), 0)
		j.Expiry, j.ExpiresIn = &exp, &left
	}
	return j
}

// bearer is RFC 6750's spelling of the type; providers send "bearer" too.
func bearer(typ string) string {
	if typ == "" || strings.EqualFold(typ, "bearer") {
		return "Bearer"
	}
	return typ
}

// printable reports whether s is printable ASCII (RFC 6749 VSCHAR).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// httpToken reports whether s is an HTTP token (RFC 9110 §5.6.2), as an
// authentication scheme must be.
func httpToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// shellQuote quotes s for POSIX shells: inside single quotes nothing is
// special, and a single quote is closed, escaped and reopened (quote,
// backslash, quote, quote). The result is always quoted, even for a JWT: an
// unquoted "~" after "=" is expanded by bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
