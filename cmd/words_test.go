package cmd

import (
	"errors"
	"strings"
	"testing"

	"github.com/hello-cli/hello/internal/exitcode"
	"github.com/hello-cli/hello/internal/httperr"
)

func TestClientAdvice(t *testing.T) {
	t.Parallel()
	refused := &httperr.Error{What: httperr.Token, StatusCode: 401, Code: "invalid_client"}
	tests := []struct {
		name string
		o    LoginOptions
		err  error
		want string
	}{
		{"built-in client ID", LoginOptions{ClientID: "hello-cli", ClientIDSource: "default"}, refused,
			`the provider does not know hello's built-in client ID "hello-cli", which only the sandbox has: set HELLO_CLIENT_ID (or --client-id) to your application's client ID (HTTP 401 Unauthorized: invalid_client)`},
		{"configured client ID", LoginOptions{ClientID: "nobody", ClientIDSource: "environment HELLO_CLIENT_ID"}, refused,
			`the provider does not accept the client ID "nobody" (from environment HELLO_CLIENT_ID): check it`},
		{"machine login with the built-in client", LoginOptions{ClientCredentials: true, ClientID: "hello-cli", ClientIDSource: "default"}, refused,
			`set HELLO_CLIENT_ID to your machine client's ID`},
		{"machine login, wrong secret", LoginOptions{ClientCredentials: true, ClientID: "ci", ClientIDSource: "flag --client-id"}, refused,
			`check HELLO_CLIENT_SECRET`},
		{"other refusals are left alone", LoginOptions{ClientID: "x", ClientIDSource: "default"},
			&httperr.Error{What: httperr.Token, StatusCode: 400, Code: "invalid_grant"}, "refused the request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.o.clientAdvice(tt.err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q lacks %q", err, tt.want)
			}
			var he *httperr.Error
			if !errors.As(err, &he) || exitCode(t.Context(), err) != exitcode.NoSession {
				t.Errorf("the advice lost the HTTP error or its exit code: %v", err)
			}
		})
	}
}
