package webbrowser

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Files that tell a Linux running under WSL from any other: the binfmt
// entry through which Windows programs run (named WSLInterop-late on recent
// WSL releases), and the kernel release, which Microsoft's kernels spell
// "…-microsoft-standard-WSL2" (WSL 2) or "…-Microsoft" (WSL 1).
const (
	wslInteropFile     = "/proc/sys/fs/binfmt_misc/WSLInterop"
	wslInteropLateFile = "/proc/sys/fs/binfmt_misc/WSLInterop-late"
	kernelReleaseFile  = "/proc/sys/kernel/osrelease"
)

// IsWSL reports whether hello runs in the Windows Subsystem for Linux, where
// the user's browser is a Windows program that Linux's launchers cannot see.
func (s System) IsWSL() bool {
	if s.goos() != "linux" {
		return false
	}
	read := s.readFile()
	for _, f := range []string{wslInteropFile, wslInteropLateFile} {
		if _, err := read(f); err == nil {
			return true
		}
	}
	rel, err := read(kernelReleaseFile)
	return err == nil && bytes.Contains(bytes.ToLower(rel), []byte("microsoft"))
}

// openWSL opens url in the Windows browser: with wslview (from wslu, which
// most WSL distributions ship) when present, else through cmd.exe's start.
func (s System) openWSL(url string) error {
	look := s.lookPath()
	if p, err := look("wslview"); err == nil {
		return s.run(p, []string{url})
	}
	p, err := look("cmd.exe")
	if err != nil {
		return errors.New("open the Windows browser: neither wslview nor cmd.exe was found in PATH (install wslu, or set $BROWSER)")
	}
	// No URL is given to a shell anywhere else; here cmd.exe parses its
	// command line, so every character it treats specially is escaped.
	return s.run(p, []string{"/c", "start", cmdEscape(url)})
}

// cmdEscape escapes s for cmd.exe's command line with its escape
// character, the caret: "&" would otherwise end the start command at the
// authorize URL's first query parameter, and "%" expand variables.
func cmdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`^&|<>()%!"`, r) {
			b.WriteByte('^')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CanOpen is CanOpen (the package function) for this machine, counting the
// Windows browser that WSL can reach with no Linux display at all.
func (s System) CanOpen() bool {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("BROWSER") == "" && getenv("SSH_CONNECTION") == "" && getenv("SSH_TTY") == "" && s.IsWSL() {
		return true
	}
	return CanOpen(getenv, s.goos())
}

func (s System) goos() string {
	if s.GOOS != "" {
		return s.GOOS
	}
	return runtime.GOOS
}

func (s System) readFile() func(string) ([]byte, error) {
	if s.ReadFile != nil {
		return s.ReadFile
	}
	return os.ReadFile
}

func (s System) lookPath() func(string) (string, error) {
	if s.LookPath != nil {
		return s.LookPath
	}
	return exec.LookPath
}

// run starts a WSL launcher, naming it if that fails.
func (s System) run(name string, args []string) error {
	if err := s.launch(name, args); err != nil {
		return fmt.Errorf("open browser with %s: %w", name, err)
	}
	return nil
}
