package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnknownEnvironmentVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"known ones are quiet", []string{"HELLO_ISSUER=x", "HELLO_CLIENT_SECRET=s", "HELLO_LOCK_TIMEOUT=1s", "HELLO_ACCESS_TOKEN=t", "PATH=/bin"}, nil},
		{"other prefixes are not ours", []string{"HELLOWORLD=1", "XHELLO_ISSUER=1"}, nil},
		{"typo gets a suggestion", []string{"HELLO_ISSUR=https://id.example.com"},
			[]string{"environment: unknown variable HELLO_ISSUR ignored (did you mean HELLO_ISSUER?)"}},
		{"swapped letters", []string{"HELLO_CLEINT_ID=x"},
			[]string{"environment: unknown variable HELLO_CLEINT_ID ignored (did you mean HELLO_CLIENT_ID?)"}},
		{"lower case", []string{"HELLO_api_url=x"},
			[]string{"environment: unknown variable HELLO_api_url ignored (did you mean HELLO_API_URL?)"}},
		{"nothing close", []string{"HELLO_COLOUR_SCHEME=dark"},
			[]string{"environment: unknown variable HELLO_COLOUR_SCHEME ignored"}},
		{"hostile name made visible", []string{"HELLO_\x1b[2J=1"},
			[]string{"environment: unknown variable HELLO_^[[2J ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := loader(t, nil)
			l.Environ = func() []string { return tt.environ }
			s, err := l.Load(nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, s.Warnings); diff != "" {
				t.Errorf("Warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"ISSUER", "ISSUER", 0}, {"ISSUR", "ISSUER", 1}, {"ISUSER", "ISSUER", 1},
		{"", "ABC", 3}, {"KITTEN", "SITTING", 3},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
