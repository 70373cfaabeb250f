package config

import (
	"fmt"
	"net"
	"strconv"
)

// checkListen checks a host:port listen address. Port 0 picks a free port
// (for tests).
func checkListen(field, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %q must be HOST:PORT, e.g. 127.0.0.1:4222 or 0.0.0.0:4222", field, addr)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("%s: %q is not an IP address or host name", field, host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s: port %q must be a number from 0 to 65535", field, port)
	}
	return nil
}

// validHostname is a loose check of a DNS name: letters, digits, '-' and
// '.', at most 253 characters.
func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
