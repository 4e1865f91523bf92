// Package webbrowser opens URLs in the user's browser without letting the
// launcher write to stdout, and tells whether a browser can be opened at all.
package webbrowser

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/pkg/browser"
)

// Browser opens a URL for the user.
type Browser interface {
	Open(url string) error
}

// System opens URLs with $BROWSER when set, else the platform's launcher.
// Launcher output goes to Stderr: a launcher printing to stdout would corrupt
// data piped from hello (kubelogin learnt this the hard way).
type System struct {
	Stderr io.Writer
	Getenv func(string) string

	// The machine, for tests; zero values mean the real one.
	GOOS     string
	ReadFile func(string) ([]byte, error)
	LookPath func(string) (string, error)
	// Start, when set, runs a launcher instead of starting a process.
	Start func(name string, args []string) error
}

// Open starts the browser and returns once it has been launched: $BROWSER
// first, then on WSL the Windows browser, else the platform's launcher.
func (s System) Open(url string) error {
	if cmdline := s.Getenv("BROWSER"); cmdline != "" {
		return s.openWith(cmdline, url)
	}
	if s.IsWSL() {
		return s.openWSL(url)
	}
	browser.Stdout = s.Stderr
	browser.Stderr = s.Stderr
	if err := browser.OpenURL(url); err != nil {
		return fmt.Errorf("open browser: %w", err)
	}
	return nil
}

// openWith follows the $BROWSER convention: a colon-separated list of
// commands, each tried in turn; "%s" in a command is replaced by the URL,
// otherwise the URL is the last argument. The URL is never run through a shell.
func (s System) openWith(cmdline, url string) error {
	// A path with spaces ("/mnt/c/Program Files/…/chrome.exe" on WSL) is
	// one command, not a command line.
	if fi, err := os.Stat(cmdline); err == nil && !fi.IsDir() {
		return s.launch(cmdline, []string{url})
	}
	var lastErr error
	for _, c := range strings.Split(cmdline, string(listSeparator())) {
		fields := strings.Fields(c)
		if len(fields) == 0 {
			continue
		}
		args, replaced := make([]string, 0, len(fields)), false
		for _, f := range fields[1:] {
			if strings.Contains(f, "%s") {
				f, replaced = strings.ReplaceAll(f, "%s", url), true
			}
			args = append(args, f)
		}
		if !replaced {
			args = append(args, url)
		}
		if lastErr = s.launch(fields[0], args); lastErr == nil {
			return nil
		}
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("no command in $BROWSER")
	}
	return fmt.Errorf("open browser with $BROWSER: %w", lastErr)
}

// launch is start, or the Start hook in tests.
func (s System) launch(name string, args []string) error {
	if s.Start != nil {
		return s.Start(name, args)
	}
	return s.start(name, args)
}

// start runs a launcher, its output to stderr, and returns once it started.
func (s System) start(name string, args []string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = s.Stderr, s.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Reap the launcher in the background: terminal browsers may run for a
	// long time and the login must not wait for them.
	go func() { _ = cmd.Wait() }()
	return nil
}

func listSeparator() rune {
	if runtime.GOOS == "windows" {
		return ';'
	}
	return ':'
}

// CanOpen reports whether a browser can plausibly be opened for the user:
// not over SSH, and on Linux/BSD only with a display. $BROWSER set by the
// user always counts as a yes. Whether anyone is there to see it (CI, no
// terminal) is the caller's question.
func CanOpen(getenv func(string) string, goos string) bool {
	if getenv("BROWSER") != "" {
		return true
	}
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return false
	}
	switch goos {
	case "darwin", "windows":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// Recorder is a Browser for tests: it remembers the URLs it was asked to open.
type Recorder struct {
	URLs []string
	Err  error
}

// Open records url.
func (r *Recorder) Open(url string) error {
	r.URLs = append(r.URLs, url)
	return r.Err
}
