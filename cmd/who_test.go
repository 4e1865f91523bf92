package cmd

import (
	"testing"

	"github.com/hello-cli/hello/internal/token"
)

func TestWho(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		id, at   string
		userinfo map[string]any
		want     string
	}{
		{name: "ID token with e-mail and name", id: `{"sub":"u1","email":"a@example.com","name":"Alice"}`, want: "a@example.com (Alice)"},
		{name: "e-mail only in userinfo", id: `{"sub":"u1"}`, userinfo: map[string]any{"sub": "u1", "email": "a@example.com", "name": "Alice"}, want: "a@example.com (Alice)"},
		{name: "e-mail only in the access token", id: `{"sub":"u1","name":"Alice"}`, at: `{"sub":"u1","email":"a@example.com"}`, want: "a@example.com (Alice)"},
		{name: "name alone", id: `{"sub":"u1","name":"Alice"}`, want: "Alice"},
		{name: "subject alone", id: `{"sub":"u1"}`, want: "u1"},
		{name: "a machine", at: `{"sub":"hello-ci@clients"}`, want: "hello-ci@clients"},
		{name: "nothing readable", want: "client hello-cli"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := &token.Token{AccessToken: "opaque"}
			if tc.id != "" {
				tok.IDToken = jwt(tc.id)
			}
			if tc.at != "" {
				tok.AccessToken = jwt(tc.at)
			}
			if got := who(tok, "hello-cli", tc.userinfo); got != tc.want {
				t.Errorf("who = %q, want %q", got, tc.want)
			}
		})
	}
}
