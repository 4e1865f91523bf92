package callback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"syscall"
)

// randomPortAttempts bounds the retries when port 0 gives a port that is
// free on 127.0.0.1 but taken on ::1.
const randomPortAttempts = 5

// listenLoopback binds 127.0.0.1:port and [::1]:port. The IPv6 listener is
// skipped only when the machine has no IPv6 loopback; any other failure is
// an error, because a browser resolving localhost to ::1 would otherwise
// reach whatever else holds that port.
func listenLoopback(ctx context.Context, port int) ([]net.Listener, error) {
	attempts := 1
	if port == 0 {
		attempts = randomPortAttempts
	}
	var lc net.ListenConfig
	var lastErr error
	for range attempts {
		v4, err := lc.Listen(ctx, "tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, listenError(port, err)
		}
		bound := v4.Addr().(*net.TCPAddr).Port
		v6, err := lc.Listen(ctx, "tcp6", net.JoinHostPort("::1", strconv.Itoa(bound)))
		switch {
		case err == nil:
			return []net.Listener{v4, v6}, nil
		case noIPv6(err):
			return []net.Listener{v4}, nil
		}
		v4.Close()
		lastErr = listenError(bound, err)
		if port != 0 || !isAddrInUse(err) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

func listenError(port int, err error) error {
	if isAddrInUse(err) {
		return &PortInUseError{Port: port, Err: err}
	}
	return fmt.Errorf("listen on loopback port %d: %w", port, err)
}

// Windows reports socket errors as WSA codes that syscall's portable
// constants do not match.
const (
	wsaeacces       syscall.Errno = 10013
	wsaeafnosupport syscall.Errno = 10047
	wsaeaddrinuse   syscall.Errno = 10048
	wsaeaddrnotavai syscall.Errno = 10049
)

func isAddrInUse(err error) bool {
	if errors.Is(err, syscall.EADDRINUSE) {
		return true
	}
	var errno syscall.Errno
	// WSAEACCES is what Windows answers for a port another process holds
	// exclusively or one inside a reserved range; either way, another port
	// is the fix.
	return runtime.GOOS == "windows" && errors.As(err, &errno) &&
		(errno == wsaeaddrinuse || errno == wsaeacces)
}

func noIPv6(err error) bool {
	if errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT) {
		return true
	}
	var errno syscall.Errno
	return runtime.GOOS == "windows" && errors.As(err, &errno) &&
		(errno == wsaeaddrnotavai || errno == wsaeafnosupport)
}
