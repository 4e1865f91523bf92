// Package urlpolicy is the one rule for where hello may send credentials:
// https anywhere, plain http only to this machine (loopback).
package urlpolicy

import (
	"net"
	"net/url"
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

// Secure reports whether u is https with a host, or http to a loopback host:
// the URLs that tokens, codes and secrets may be sent to.
func Secure(u *url.URL) bool {
	if u == nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return IsLoopbackHost(u.Hostname())
	}
	return false
}
