// Package keystore keeps the key that seals cached tokens in the operating
// system's keyring (macOS Keychain, Windows Credential Manager, the Secret
// Service on Linux, through github.com/zalando/go-keyring), and decides
// per process whether tokens are sealed at all: --token-storage
// auto|keyring|file.
//
// The cache files stay the source of truth; only a 32-byte key lives in the
// keyring, so no keyring's size limit is ever reached, and a key that goes
// missing means "logged out", never a crash. Every keyring call is bounded:
// a Secret Service that never answers costs one bound (3 s), after which
// the call is abandoned and, in auto mode, the plain file is used — said
// once on stderr, never silently.
package keystore

import (
	"fmt"
	"strings"
)

// Mode is where tokens are kept: the --token-storage choice.
type Mode string

const (
	// Auto seals with a key in the keyring when one answers within the
	// probe's bound, and otherwise keeps plain 0600 files, saying so once.
	Auto Mode = "auto"
	// Keyring always seals, and fails rather than fall back.
	Keyring Mode = "keyring"
	// File never touches the keyring: plain 0600 files.
	File Mode = "file"
)

// ParseMode reads a --token-storage value; "" is Auto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return Auto, nil
	case Auto, Keyring, File:
		return m, nil
	}
	return "", fmt.Errorf("unknown token storage %q: expected auto, keyring or file", s)
}
