package config

import (
	"fmt"
	"net/url"
	"strconv"
)

// checkHubURL checks one of a node's hub URLs.
func checkHubURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "nats" && u.Scheme != "tls" {
		return fmt.Errorf("%q must start with nats:// or tls://, e.g. nats://hub.example.org:4222", s)
	}
	if u.User != nil {
		return fmt.Errorf("%q must not carry a user or password: the node authenticates with creds_file", s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port must be a number from 1 to 65535", s)
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must be only scheme://host:port", s)
	}
	return nil
}
