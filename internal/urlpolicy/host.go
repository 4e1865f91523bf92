package urlpolicy

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (a name or an IP, without port or brackets)
// can only be this machine: plain HTTP to it never crosses a network.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
