package callback

import "testing"

func TestCallbackErrorWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  CallbackError
		want string
	}{
		{CallbackError{Code: "access_denied", Description: "User cancelled"},
			"the login was declined at the provider (the provider said access_denied: User cancelled)"},
		{CallbackError{Code: "temporarily_unavailable"},
			"the provider could not handle the login just now (the provider said temporarily_unavailable)"},
		{CallbackError{Code: "invalid_scope", Description: "bad scope"},
			"the provider refused hello's login request (the provider said invalid_scope: bad scope)"},
		{CallbackError{Code: "something_new"},
			"the provider refused the login (the provider said something_new)"},
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
