package webbrowser

import "os"

// Unavailable says why no browser can be opened for the user here, in a
// few words for a message ("this is an SSH session"), or "" when one can.
// It agrees with CanOpen.
func Unavailable(getenv func(string) string, goos string) string {
	if getenv("BROWSER") != "" {
		return ""
	}
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return "this is an SSH session"
	}
	switch goos {
	case "darwin", "windows":
		return ""
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "there is no display ($DISPLAY and $WAYLAND_DISPLAY are unset)"
	}
	return ""
}

// Unavailable is Unavailable (the package function) for this machine,
// counting the Windows browser that WSL can reach: "" whenever CanOpen.
func (s System) Unavailable() string {
	if s.CanOpen() {
		return ""
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return Unavailable(getenv, s.goos())
}
