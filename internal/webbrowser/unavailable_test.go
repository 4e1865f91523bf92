package webbrowser

import "testing"

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
