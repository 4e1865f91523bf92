package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Error is a bad configuration value. The caller maps it to exit code 2.
type Error struct {
	Key      string // setting name, e.g. "issuer", "api_url", "config"
	Source   string // where it came from, e.g. "environment HELLO_ISSUER"
	Value    string // the offending value; always "" for the client secret
	Expected string // what is wrong and what would be accepted
	Err      error  // underlying cause, if any (file not found, INI syntax…)
}

// keySecret is never echoed back, even if a caller fills Value by mistake.
const keySecret = "client_secret"

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("bad ")
	b.WriteString(e.Key)
	if e.Value != "" && e.Key != keySecret {
		fmt.Fprintf(&b, " %q", redactUserinfo(e.Value))
	}
	if e.Source != "" {
		fmt.Fprintf(&b, " (from %s)", e.Source)
	}
	if e.Expected != "" {
		b.WriteString(": ")
		b.WriteString(e.Expected)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// bad builds an *Error for a resolved value.
func bad(v value, expected string) *Error {
	e := &Error{Key: v.key, Source: v.source, Value: v.val, Expected: expected}
	if v.key == keySecret {
		e.Value = ""
	}
	return e
}

// redactUserinfo hides a password written into a URL (https://u:p@host),
// which would otherwise be echoed to the terminal by the error.
func redactUserinfo(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
