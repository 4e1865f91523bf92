package webbrowser

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
// The launcher prints its arguments on its stdout, and the test reads them
// from the pipe it gave as Stderr: seeing them there proves the output was
// routed away from stdout, and the pipe's end of file (the launcher exited)
// is the moment to look, so nothing polls for a file.
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
	script := func(dir string) string {
		p := filepath.Join(dir, "browser")
		body := "#!/bin/sh\necho launcher-noise\nprintf '%s\\n' \"$@\"\necho launcher-error >&2\n"
		if err := os.WriteFile(p, []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plainScript, spacedScript := script(plain), script(spaced)
	const url = "http://127.0.0.1:5055/authorize?a=1&b=2"
	for _, tt := range []struct {
		name, cmdline string
		wantArgs      []string
	}{
		{"plain", plainScript, []string{url}},
		{"placeholder", plainScript + " --new-tab %s", []string{"--new-tab", url}},
		{"first absent", filepath.Join(plain, "missing") + ":" + plainScript, []string{url}},
		{"path with a space", spacedScript, []string{url}},
	} {
		stderrR, stderrW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		s := System{Stderr: stderrW, Getenv: func(k string) string {
			if k == "BROWSER" {
				return tt.cmdline
			}
			return ""
		}}
		openErr := s.Open(url)
		// The launcher holds its own copy of the write end; once ours is
		// closed, end of file means the launcher has exited.
		stderrW.Close()
		if openErr != nil {
			stderrR.Close()
			t.Fatalf("%s: %v", tt.name, openErr)
		}
		got, err := io.ReadAll(stderrR)
		stderrR.Close()
		if err != nil {
			t.Fatalf("%s: read launcher output: %v", tt.name, err)
		}
		want := "launcher-noise\n" + strings.Join(tt.wantArgs, "\n") + "\nlauncher-error\n"
		if string(got) != want {
			t.Errorf("%s: launcher wrote %q to stderr, want %q", tt.name, got, want)
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
