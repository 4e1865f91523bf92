package config

import (
	"strings"
	"testing"
)

func TestErrorHidesURLPassword(t *testing.T) {
	t.Parallel()
	e := &Error{Key: "issuer", Source: "flag --issuer", Value: "https://user:hunter2@auth.example.com/", Expected: "no user name or password"}
	if msg := e.Error(); strings.Contains(msg, "hunter2") || !strings.Contains(msg, "auth.example.com") {
		t.Errorf("Error() = %q", msg)
	}
}
