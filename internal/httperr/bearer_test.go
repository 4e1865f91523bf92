package httperr

import "testing"

func TestBearerError(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{
		`Bearer realm="x", error="invalid_token", error_description="expired"`: "invalid_token",
		`Bearer error="insufficient_scope"`:                                    "insufficient_scope",
		`Bearer realm="x"`:                                                     "",
		`Bearer`:                                                               "",
		``:                                                                     "",
	} {
		if got := BearerError(h); got != want {
			t.Errorf("BearerError(%q) = %q, want %q", h, got, want)
		}
	}
}

func FuzzBearerError(f *testing.F) {
	f.Add(`Bearer realm="x", error="invalid_token"`)
	f.Add(`Bearer ,,=,"`)
	f.Fuzz(func(t *testing.T, h string) {
		_ = BearerError(h) // must not panic
	})
}
