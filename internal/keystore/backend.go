package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	gokeyring "github.com/zalando/go-keyring"
)

// Backend is the OS keyring, as go-keyring exposes it. Get and Delete
// return an error matching go-keyring's ErrNotFound for a missing item.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// ErrNoBus means there is no D-Bus session bus to find a Secret Service on.
var ErrNoBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")

// System is go-keyring's keyring for this operating system.
type System struct {
	// Getenv looks up an environment variable; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Dir, when set, is the cache directory whose key this System keeps:
	// on the Secret Service, the item holding it is remembered there, so
	// that the next command need not search for it.
	Dir string
}

// Name is the keyring's name as users know it, for `hello status`.
func (System) Name() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS Keychain"
	case "windows":
		return "Windows Credential Manager"
	}
	return "Secret Service"
}

// Get reads a secret; on the Secret Service through a fast path of its own
// (see fastGet), otherwise, and for locked keyrings, through go-keyring.
func (s System) Get(service, user string) (string, error) {
	if err := s.precheck(); err != nil {
		return "", err
	}
	if v, err := s.get(service, user); !errors.Is(err, errSlowPath) {
		return v, err
	}
	return gokeyring.Get(service, user)
}

// Set stores a secret through go-keyring.
func (s System) Set(service, user, secret string) error {
	if err := s.precheck(); err != nil {
		return err
	}
	defer s.forgetHint() // the item may be a new one
	return gokeyring.Set(service, user, secret)
}

// Delete removes a secret through go-keyring.
func (s System) Delete(service, user string) error {
	if err := s.precheck(); err != nil {
		return err
	}
	defer s.forgetHint()
	return gokeyring.Delete(service, user)
}

// precheck answers "no bus" at once where the Secret Service is reached
// over D-Bus and no session bus can be found. Without it, the D-Bus library
// would try to autolaunch a bus with dbus-launch: a process started on
// every command of a headless box, for a keyring that cannot be there.
func (s System) precheck() error {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if v, _ := getenv("DBUS_SESSION_BUS_ADDRESS"); v != "" {
		return nil
	}
	if userBusExists() {
		return nil // the bus's standard place, where D-Bus looks too
	}
	if v, _ := getenv("DISPLAY"); v != "" {
		return nil // dbus-launch may find the desktop's bus through X11
	}
	return ErrNoBus
}

// userBusExists reports whether the user's bus is where the D-Bus library
// looks when DBUS_SESSION_BUS_ADDRESS is not set: /run/user/UID/bus (a
// systemd login session), or the address file beside it.
func userBusExists() bool {
	dir := "/run/user/" + strconv.Itoa(os.Getuid())
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// envFingerprint names what decides whether a keyring is reachable from
// this process: the same machine answers differently in a desktop
// terminal and over SSH, which see different buses (or none).
func envFingerprint(getenv func(string) (string, bool)) string {
	fp := runtime.GOOS
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return fp
	}
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "DISPLAY"} {
		v, _ := getenv(k)
		fp += "\x00" + k + "=" + v
	}
	return fp + "\x00user-bus=" + strconv.FormatBool(userBusExists())
}
