package webbrowser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCanOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		goos string
		want bool
	}{
		{"linux desktop", map[string]string{"DISPLAY": ":0"}, "linux", true},
		{"wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "linux", true},
		{"linux console", nil, "linux", false},
		{"ssh session", map[string]string{"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, "linux", false},
		{"ssh tty on a mac", map[string]string{"SSH_TTY": "/dev/ttys001"}, "darwin", false},
		{"mac", nil, "darwin", true},
		{"windows", nil, "windows", true},
		{"BROWSER set by the user", map[string]string{"BROWSER": "lynx", "SSH_TTY": "x"}, "linux", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CanOpen(func(k string) string { return tt.env[k] }, tt.goos); got != tt.want {
				t.Errorf("CanOpen = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBrowserVariable checks the $BROWSER convention: the first command
// that starts wins, %s takes the URL, a path with spaces is one command, and
// launcher output goes to stderr.
//
// Not parallel on purpose: it writes scripts and then executes them, and a
// fork by a parallel test while a script is still open for writing would make
// that exec fail with ETXTBSY ("text file busy", golang.org/issue/22315).
func TestBrowserVariable(t *testing.T) {
	plain := t.TempDir()
	spaced := filepath.Join(t.TempDir(), "Program Files")
	if err := os.Mkdir(spaced, 0o700); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(plain, "args")
	script := func(dir string) string {
		p := filepath.Join(dir, "browser")
		body := "#!/bin/sh\necho launcher-noise\nprintf '%s\\n' \"$@\" > " + out + ".tmp && mv " + out + ".tmp " + out + "\n"
		if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plainScript, spacedScript := script(plain), script(spaced)
	const url = "http://127.0.0.1:5055/authorize?a=1&b=2"
	for _, tt := range []struct{ name, cmdline, wantPrefix string }{
		{"plain", plainScript, ""},
		{"placeholder", plainScript + " --new-tab %s", "--new-tab\n"},
		{"first absent", filepath.Join(plain, "missing") + ":" + plainScript, ""},
		{"path with a space", spacedScript, ""},
	} {
		var stderr bytes.Buffer
		_ = os.Remove(out)
		s := System{Stderr: &stderr, Getenv: func(k string) string {
			if k == "BROWSER" {
				return tt.cmdline
			}
			return ""
		}}
		if err := s.Open(url); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := waitFile(t, out)
		if !strings.HasSuffix(strings.TrimSpace(got), url) || !strings.HasPrefix(got, tt.wantPrefix) {
			t.Errorf("%s: launcher got args %q", tt.name, got)
		}
	}
}

func TestBrowserVariableNothingStarts(t *testing.T) {
	t.Parallel()
	s := System{Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "/nonexistent/browser" }}
	if err := s.Open("http://localhost/"); err == nil || !strings.Contains(err.Error(), "$BROWSER") {
		t.Fatalf("err = %v, want an error naming $BROWSER", err)
	}
}

// waitFile waits for a file the launcher writes in the background.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s was never written", path)
	return ""
}
