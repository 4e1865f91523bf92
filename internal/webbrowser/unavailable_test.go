package webbrowser

import (
	"errors"
	"testing"
)

func TestUnavailableAgreesWithCanOpen(t *testing.T) {
	t.Parallel()
	envs := []map[string]string{
		{},
		{"BROWSER": "firefox"},
		{"SSH_CONNECTION": "1 2 3 4"},
		{"SSH_TTY": "/dev/pts/1", "DISPLAY": ":0"},
		{"SSH_TTY": "/dev/pts/1", "BROWSER": "w3m"},
		{"DISPLAY": ":0"},
		{"WAYLAND_DISPLAY": "wayland-0"},
	}
	for _, env := range envs {
		for _, goos := range []string{"linux", "darwin", "windows", "freebsd"} {
			getenv := func(k string) string { return env[k] }
			why := Unavailable(getenv, goos)
			if (why == "") != CanOpen(getenv, goos) {
				t.Errorf("%v on %s: Unavailable %q but CanOpen %v", env, goos, why, CanOpen(getenv, goos))
			}
		}
	}
}

func TestSystemUnavailableCountsWSL(t *testing.T) {
	t.Parallel()
	noFile := func(string) ([]byte, error) { return nil, errors.New("no such file") }
	wsl := func(name string) ([]byte, error) {
		if name == kernelReleaseFile {
			return []byte("5.15.90.1-microsoft-standard-WSL2"), nil
		}
		return nil, errors.New("no such file")
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name string
		s    System
		want string
	}{
		{"WSL without a display", System{GOOS: "linux", Getenv: env(nil), ReadFile: wsl}, ""},
		{"Linux without a display", System{GOOS: "linux", Getenv: env(nil), ReadFile: noFile}, "there is no display ($DISPLAY and $WAYLAND_DISPLAY are unset)"},
		{"WSL over SSH", System{GOOS: "linux", Getenv: env(map[string]string{"SSH_TTY": "/dev/pts/0"}), ReadFile: wsl}, "this is an SSH session"},
	} {
		if got := tc.s.Unavailable(); got != tc.want {
			t.Errorf("%s: Unavailable() = %q, want %q", tc.name, got, tc.want)
		}
		if (tc.s.Unavailable() == "") != tc.s.CanOpen() {
			t.Errorf("%s: Unavailable and CanOpen disagree", tc.name)
		}
	}
}
