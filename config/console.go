package config

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/casenode/casenode/protocol"
)

// Console is the web console the node serves to the agency's people. It is
// off unless Listen is set.
type Console struct {
	// Listen is the console's HOST:PORT, e.g. 127.0.0.1:8440. A loopback
	// address serves this machine only; any other address needs TLSCertFile
	// and TLSKeyFile, so that passwords and cases never cross the office
	// network in clear.
	Listen string `json:"listen,omitempty"`
	// TLSCertFile and TLSKeyFile are the console's TLS certificate and key
	// (PEM).
	TLSCertFile string `json:"tls_cert_file,omitempty"`
	TLSKeyFile  string `json:"tls_key_file,omitempty"`
	// SessionIdle is how long a signed-in session lasts without a request;
	// SessionMax how long it lasts at most. Zero means the defaults.
	SessionIdle Duration `json:"session_idle,omitzero"`
	SessionMax  Duration `json:"session_max,omitzero"`
	// Networks are the consoles of this agency's nodes in other networks
	// on this machine (an agency in two networks runs one node per
	// network): every page of a node's console links to them and shows
	// their unread messages and whether their node runs. A node's console
	// only.
	Networks []ConsoleNetwork `json:"networks,omitempty"`
}

// ConsoleNetwork is the node of the same agency in another network.
type ConsoleNetwork struct {
	// Network is that network's id.
	Network string `json:"network"`
	// URL is that node's console, e.g. http://127.0.0.1:8441/.
	URL string `json:"url"`
	// Socket is that node's API socket (its api.socket), from which this
	// console reads its status; empty: the link only. A relative path is
	// taken from this node's directory.
	Socket string `json:"socket,omitempty"`
}

// MaxConsoleNetworks bounds console.networks.
const MaxConsoleNetworks = 8

// DefaultConsoleListen is the address the documentation suggests for the
// console: loopback, so that only this machine reaches it.
const DefaultConsoleListen = "127.0.0.1:8440"

// Defaults of the console's sessions.
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour
)

// TLS says whether the console serves HTTPS.
func (c *Console) TLS() bool { return c.TLSCertFile != "" }

// Idle returns SessionIdle or its default.
func (c *Console) Idle() time.Duration {
	if c.SessionIdle == 0 {
		return DefaultSessionIdle
	}
	return time.Duration(c.SessionIdle)
}

// Max returns SessionMax or its default.
func (c *Console) Max() time.Duration {
	if c.SessionMax == 0 {
		return DefaultSessionMax
	}
	return time.Duration(c.SessionMax)
}

// validate checks the console's fields; errors name them under prefix
// ("node.console", "hub.console").
func (c *Console) validate(prefix string) error {
	if c.Listen == "" {
		if c.TLSCertFile != "" || c.TLSKeyFile != "" {
			return fmt.Errorf("%s.listen: must be set when %s.tls_cert_file is (or remove the TLS files)", prefix, prefix)
		}
		return nil
	}
	if err := checkListen(prefix+".listen", c.Listen); err != nil {
		return err
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return fmt.Errorf("%s.tls_key_file: tls_cert_file and tls_key_file go together", prefix)
	}
	if !c.TLS() && !Loopback(c.Listen) {
		return fmt.Errorf("%s.listen: %q is not a loopback address: set %s.tls_cert_file and tls_key_file to serve the network over HTTPS, or listen on 127.0.0.1", prefix, c.Listen, prefix)
	}
	if c.SessionIdle != 0 {
		if err := checkRange(prefix+".session_idle", c.SessionIdle, time.Minute, 24*time.Hour); err != nil {
			return err
		}
	}
	if c.SessionMax != 0 {
		if err := checkRange(prefix+".session_max", c.SessionMax, time.Minute, 7*24*time.Hour); err != nil {
			return err
		}
	}
	return nil
}

// validateNetworks checks console.networks of the node of network self;
// errors name the fields under prefix.
func (c *Console) validateNetworks(prefix, self string) error {
	if len(c.Networks) > MaxConsoleNetworks {
		return fmt.Errorf("%s.networks: %d networks, at most %d", prefix, len(c.Networks), MaxConsoleNetworks)
	}
	seen := map[string]bool{self: true}
	for i, nw := range c.Networks {
		field := fmt.Sprintf("%s.networks[%d]", prefix, i)
		if err := protocol.ValidateID("network", nw.Network); err != nil {
			return fmt.Errorf("%s.network: %w", field, err)
		}
		if seen[nw.Network] {
			if nw.Network == self {
				return fmt.Errorf("%s.network: %q is this node's own network: list the other networks only", field, nw.Network)
			}
			return fmt.Errorf("%s.network: %q is listed twice", field, nw.Network)
		}
		seen[nw.Network] = true
		u, err := url.Parse(nw.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%s.url: %q is not the address of a console: write it as http://127.0.0.1:8441/ or https://HOST:PORT/", field, nw.URL)
		}
		if nw.Socket != "" {
			if err := checkPath(field+".socket", nw.Socket); err != nil {
				return err
			}
		}
	}
	return nil
}

// Loopback says whether a listen address's host is a loopback address or
// localhost: reachable from this machine only, where plain HTTP or NATS
// without TLS may do.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
