package callback

import "testing"

func TestCallbackErrorWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  CallbackError
		want string
	}{
		{CallbackError{Code: "access_denied", Description: "User cancelled"},
			`the login was declined at the provider: to try again, run "hello login" and approve the request (access_denied: User cancelled)`},
		{CallbackError{Code: "temporarily_unavailable"},
			`the provider could not handle the login just now: wait a moment, then run "hello login" again (temporarily_unavailable)`},
		{CallbackError{Code: "invalid_scope", Description: "bad scope"},
			`the provider refused hello's login request: check the client ID and audience hello uses ("hello status" shows them), then run "hello login" again (invalid_scope: bad scope)`},
		{CallbackError{Code: "something_new"},
			`the provider refused the login: run "hello login" to try again (something_new)`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.err.Code, got, tt.want)
		}
		if tt.err.NextStep() == "" {
			t.Errorf("%s: no next step", tt.err.Code)
		}
	}
}
