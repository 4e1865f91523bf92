//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keystore

import (
	"bufio"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// fakeBus listens on a unix socket and checks, for one client, the bytes
// it writes before its first message; answer is its reply to them.
func fakeBus(t *testing.T, answer string) (addr string, got <-chan string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hello-fakebus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	ch := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			ch <- "accept: " + err.Error()
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		var lines []string
		for len(lines) < 2 {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			lines = append(lines, line)
		}
		// Answer only once the whole handshake came in one flight.
		_, _ = io.WriteString(c, answer)
		ch <- strings.Join(lines, "")
		_, _ = io.Copy(io.Discard, r)
	}()
	return "unix:path=" + path, ch
}

func TestDialSessionBusPipelinesTheHandshake(t *testing.T) {
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Geteuid())))
	for _, tc := range []struct {
		name, answer string
		failed       bool
	}{
		{name: "accepted", answer: "OK 1234567890abcdef1234567890abcdef\r\n"},
		{name: "rejected", answer: "REJECTED EXTERNAL\r\nERROR\r\n", failed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, got := fakeBus(t, tc.answer)
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
			conn, p, err := dialSessionBus()
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The first message follows the handshake without waiting for
			// the bus; the fake bus answers nothing to it, so the call
			// ends only by the bus's handshake answer or the close.
			call := conn.BusObject().Go("org.freedesktop.DBus.Hello", 0, nil)
			if want, g := "\x00AUTH EXTERNAL "+uid+"\r\nBEGIN\r\n", <-got; g != want {
				t.Errorf("the bus received %q, want %q in one flight", g, want)
			}
			if tc.failed {
				<-call.Done
				// The call fails with the bus's refusal or with the
				// connection it closed; fastGet asks p which it was.
				p.mu.Lock()
				why := p.err
				p.mu.Unlock()
				if !p.failed() || !errors.Is(why, errAuthRejected) || call.Err == nil {
					t.Errorf("a rejected handshake: failed %v (%v), call error %v", p.failed(), why, call.Err)
				}
			} else if p.failed() {
				t.Error("an accepted handshake reads as failed")
			}
		})
	}
}

func TestSessionBusSocket(t *testing.T) {
	for addr, want := range map[string]string{
		"unix:path=/run/user/1000/bus":                  "/run/user/1000/bus",
		"unix:abstract=/tmp/dbus-XYZ,guid=0123456789ab": "@/tmp/dbus-XYZ",
		"unix:guid=01,path=/tmp/b":                      "/tmp/b",
		"tcp:host=127.0.0.1,port=1234":                  "",
		"unix:path=/a;unix:path=/b":                     "",
		"unix:path=/with%20space":                       "",
		"unix:tmpdir=/tmp":                              "",
	} {
		t.Run(addr, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
			network, got, ok := sessionBusSocket()
			if ok != (want != "") || got != want || (ok && network != "unix") {
				t.Errorf("sessionBusSocket() = %q, %q, %v; want %q", network, got, ok, want)
			}
		})
	}
}

func TestItemHint(t *testing.T) {
	t.Parallel()
	fp := fingerprint("hello", "token key for /a", "k")
	for _, other := range []string{fingerprint("hello", "token key for /a", "k2"), fingerprint("hello", "token key for /b", "k"), fingerprint("hellox", "token key for /a", "k")} {
		if other == fp {
			t.Error("a fingerprint does not bind the service, the user and the secret")
		}
	}
	if len(fp) != 32 {
		t.Errorf("fingerprint %q", fp)
	}
	for item, ok := range map[string]bool{
		loginCollection + "/3":                        true,
		"/org/freedesktop/secrets/collection/other/3": false,
		"not a path": false,
		"":           false,
	} {
		if got := (itemHint{Item: dbusPath(item), Fingerprint: "f"}).usable(); got != ok {
			t.Errorf("hint %q usable = %v, want %v", item, got, ok)
		}
	}
	if (itemHint{Item: dbusPath(loginCollection + "/3")}).usable() {
		t.Error("a hint without a fingerprint is usable")
	}
}

func dbusPath(s string) dbus.ObjectPath { return dbus.ObjectPath(s) }
