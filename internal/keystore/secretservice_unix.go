//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keystore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/internal/atomicfile"
)

const (
	secretsName  = "org.freedesktop.secrets"
	secretsPath  = "/org/freedesktop/secrets"
	secretsIface = "org.freedesktop.Secret"
	// loginCollection is where go-keyring keeps its items.
	loginCollection = "/org/freedesktop/secrets/collection/login"
)

// errSlowPath sends a read to go-keyring: a locked keyring, no login
// collection, anything this fast path does not handle itself.
var errSlowPath = errors.New("read through go-keyring")

// fastGet reads an item that go-keyring stored, on the warm path of every
// command. go-keyring's Get makes seven calls to the keyring one after
// another (collection lookup, two unlocks, search, session, secret,
// close) on a shared connection, after the D-Bus library's three-round-trip
// handshake. This one writes the handshake, Hello, the session and, unless
// the hint names the item found last time, the search, all at once (see
// dialSessionBus), and then asks for the secret: two round trips to the
// keyring, and no search on the warm path.
//
// The hint is only where to look: the secret read through it is used only
// if it is the one the hint was made for, for this service and user (its
// fingerprint binds all three), so a stale, altered or copied hint costs a
// search, never a wrong key. found is the item's path, for the next hint.
//
// Anything unusual (a locked keyring, which needs go-keyring's unlock
// prompt; no login collection; a bus address other than a unix socket)
// returns errSlowPath, and go-keyring does the read.
func fastGet(service, user string, hint itemHint) (secret string, found dbus.ObjectPath, err error) {
	conn, bus, err := dialSessionBus()
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	// The bus handles a connection's messages in order, so the session and
	// the search can follow Hello without waiting for its answer.
	hello := conn.BusObject().Go("org.freedesktop.DBus.Hello", 0, nil)
	open := conn.Object(secretsName, secretsPath).Go(secretsIface+".Service.OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	var search *dbus.Call
	if !hint.usable() {
		search = searchItem(conn, service, user)
	}
	<-hello.Done
	<-open.Done
	if bus.failed() {
		return "", "", errSlowPath
	}
	if hello.Err != nil {
		return "", "", hello.Err
	}
	var ignored dbus.Variant
	var session dbus.ObjectPath
	if err := open.Store(&ignored, &session); err != nil {
		return "", "", err
	}
	if search == nil {
		v, err := getSecret(conn, hint.Item, session)
		if err == nil && fingerprint(service, user, v) == hint.Fingerprint {
			return v, hint.Item, nil
		}
		search = searchItem(conn, service, user) // gone, replaced, or not ours
	}
	<-search.Done
	var items []dbus.ObjectPath
	if err := search.Store(&items); err != nil {
		var de dbus.Error
		if errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.UnknownObject" || de.Name == "org.freedesktop.DBus.Error.UnknownMethod") {
			// No login collection (gnome-keyring answers either, and a
			// keyring just started may not have made it yet): go-keyring
			// uses the default one.
			return "", "", errSlowPath
		}
		return "", "", err
	}
	if len(items) == 0 {
		return "", "", gokeyring.ErrNotFound
	}
	v, err := getSecret(conn, items[0], session)
	if err != nil {
		return "", "", errSlowPath // locked, most likely: go-keyring unlocks
	}
	// The session ends with the connection.
	return v, items[0], nil
}

func getSecret(conn *dbus.Conn, item, session dbus.ObjectPath) (string, error) {
	var s struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	if err := conn.Object(secretsName, item).Call(secretsIface+".Item.GetSecret", 0, session).Store(&s); err != nil {
		return "", err
	}
	return string(s.Value), nil
}

func searchItem(conn *dbus.Conn, service, user string) *dbus.Call {
	return conn.Object(secretsName, loginCollection).Go(secretsIface+".Collection.SearchItems", 0, nil,
		map[string]string{"username": user, "service": service})
}

// itemHintFile, in the cache directory, names the keyring item that holds
// the directory's key and a fingerprint of that key: not secrets, only
// where to look and how to know the right thing was found (see fastGet).
const itemHintFile = "keyring-item"

type itemHint struct {
	Item        dbus.ObjectPath
	Fingerprint string
}

func (h itemHint) usable() bool {
	return h.Item.IsValid() && strings.HasPrefix(string(h.Item), loginCollection+"/") && h.Fingerprint != ""
}

// fingerprint names a secret, and the service and user it is kept for,
// without revealing it: the keys are 32 random bytes, so a truncated
// SHA-256 of one says nothing that helps find it (the sealed entries carry
// a key ID already).
func fingerprint(service, user, secret string) string {
	sum := sha256.Sum256([]byte("hello keyring item\x00" + service + "\x00" + user + "\x00" + secret))
	return hex.EncodeToString(sum[:16])
}

func (s System) get(service, user string) (string, error) {
	var hint itemHint
	if s.Dir != "" {
		if b, err := os.ReadFile(filepath.Join(s.Dir, itemHintFile)); err == nil && len(b) < 512 {
			item, fp, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
			hint = itemHint{Item: dbus.ObjectPath(item), Fingerprint: fp}
		}
	}
	v, found, err := fastGet(service, user, hint)
	if fp := fingerprint(service, user, v); err == nil && s.Dir != "" && (found != hint.Item || fp != hint.Fingerprint) {
		// Best effort: without it the next command searches again.
		_ = atomicfile.Write(filepath.Join(s.Dir, itemHintFile), []byte(string(found)+" "+fp+"\n"))
	}
	return v, err
}

// forgetHint drops the item hint after the key was stored or deleted.
func (s System) forgetHint() {
	if s.Dir != "" {
		_ = os.Remove(filepath.Join(s.Dir, itemHintFile))
	}
}
