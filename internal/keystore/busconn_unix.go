//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keystore

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// errAuthRejected: the bus did not take the pipelined EXTERNAL handshake;
// go-keyring, with the D-Bus library's full dialogue, does the read.
var errAuthRejected = errors.New("the session bus rejected EXTERNAL authentication")

// dialSessionBus connects to the session bus as the D-Bus library would,
// but authenticates in no round trip of its own: the handshake (EXTERNAL,
// proving the same user through the socket's credentials, then BEGIN) is
// written at once, as sd-bus does, and the first messages follow it in the
// same flight. The library's handshake costs three round trips (AUTH,
// AUTH EXTERNAL, NEGOTIATE_UNIX_FD) before the first message can leave;
// on the warm path of every command those are a sixth of the keyring's
// cost. Only unix socket addresses are handled here; any other address
// returns errSlowPath.
func dialSessionBus() (*dbus.Conn, *pipelined, error) {
	network, addr, ok := sessionBusSocket()
	if !ok {
		return nil, nil, errSlowPath
	}
	nc, err := net.DialTimeout(network, addr, DefaultTimeout)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the session bus: %w", err)
	}
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Geteuid())))
	if _, err := nc.Write([]byte("\x00AUTH EXTERNAL " + uid + "\r\nBEGIN\r\n")); err != nil {
		_ = nc.Close()
		return nil, nil, fmt.Errorf("connect to the session bus: %w", err)
	}
	p := &pipelined{nc: nc, r: bufio.NewReader(nc), authing: true}
	conn, err := dbus.NewConn(p)
	if err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	// The library's own handshake is answered by p without a round trip;
	// the bus's real answer is checked when its first reply is read.
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Geteuid()))}); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, p, nil
}

// sessionBusSocket is where the session bus listens, from
// DBUS_SESSION_BUS_ADDRESS, else the user's bus in /run/user/UID, as the
// D-Bus library looks for it. ok is false for any address but a single
// unix path or abstract socket.
func sessionBusSocket() (network, addr string, ok bool) {
	a := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if a == "" {
		p := filepath.Join("/run/user", strconv.Itoa(os.Getuid()), "bus")
		if _, err := os.Stat(p); err != nil {
			return "", "", false
		}
		return "unix", p, true
	}
	rest, found := strings.CutPrefix(a, "unix:")
	if !found || strings.Contains(a, ";") {
		return "", "", false
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "path":
			if v != "" && !strings.Contains(v, "%") { // no escaped bytes to decode
				return "unix", v, true
			}
		case "abstract":
			if v != "" && !strings.Contains(v, "%") {
				return "unix", "@" + v, true
			}
		}
	}
	return "", "", false
}

// pipelined is the bus socket as the D-Bus library sees it: during its
// handshake, its lines are taken and answered here (the real handshake was
// written at dial); from BEGIN on, bytes pass through, once the bus's own
// answer to the handshake ("OK <guid>") has been read and checked.
type pipelined struct {
	nc net.Conn
	r  *bufio.Reader

	mu      sync.Mutex
	authing bool     // the library is in its handshake
	replies [][]byte // answers to the library's handshake lines
	checked bool     // the bus's OK was read
	err     error    // the bus's handshake failed
}

func (p *pipelined) Write(b []byte) (int, error) {
	p.mu.Lock()
	if !p.authing {
		p.mu.Unlock()
		return p.nc.Write(b)
	}
	defer p.mu.Unlock()
	switch line := string(bytes.TrimSuffix(b, []byte("\r\n"))); {
	case line == "\x00":
	case line == "AUTH":
		p.replies = append(p.replies, []byte("REJECTED EXTERNAL\r\n"))
	case strings.HasPrefix(line, "AUTH EXTERNAL"):
		p.replies = append(p.replies, []byte("OK "+strings.Repeat("0", 32)+"\r\n"))
	case line == "BEGIN":
		p.authing = false
	default:
		return 0, fmt.Errorf("unexpected handshake line %q", line)
	}
	return len(b), nil
}

func (p *pipelined) Read(b []byte) (int, error) {
	p.mu.Lock()
	if p.authing || len(p.replies) > 0 {
		defer p.mu.Unlock()
		if len(p.replies) == 0 {
			return 0, errors.New("handshake read before its line was written")
		}
		n := copy(b, p.replies[0])
		if n == len(p.replies[0]) {
			p.replies = p.replies[1:]
		} else {
			p.replies[0] = p.replies[0][n:]
		}
		return n, nil
	}
	checked := p.checked
	p.mu.Unlock()
	if !checked {
		// Only the reading goroutine gets here: the library reads replies
		// in one worker.
		line, err := p.r.ReadString('\n')
		p.mu.Lock()
		p.checked = true
		if err == nil && !strings.HasPrefix(line, "OK ") {
			err = errAuthRejected
		}
		p.err = err
		p.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	return p.r.Read(b)
}

// failed reports whether the bus refused the handshake.
func (p *pipelined) failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err != nil
}

func (p *pipelined) Close() error { return p.nc.Close() }

// SetDeadline lets a caller bound the whole exchange.
func (p *pipelined) SetDeadline(t time.Time) error { return p.nc.SetDeadline(t) }
