package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console"
)

// startConsoles serves each running demo node's web console on a loopback
// port, with an account for the agency's demo person, and prints where to
// sign in. The consoles stop when ctx ends; the returned channel yields
// their errors then.
func (d *demo) startConsoles(ctx context.Context) (<-chan error, error) {
	pw := demoPassword()
	d.say("")
	d.say("Each agency's web console (sign in with the account shown; the password is %s):", pw)
	agencies := demoAgencies()
	done := make(chan error, len(agencies))
	for _, a := range agencies {
		n := d.net.Node(a.id)
		if n == nil {
			return nil, fmt.Errorf("demo: node %s is not running", a.id)
		}
		name := strings.ReplaceAll(a.actor, ".", "-")
		_, err := n.AddAccount(ctx, demoActor(a.id), agency.NewAccount{Name: name, Role: agency.RoleProsecutor, Password: pw})
		if errors.Is(err, agency.ErrInvalid) && strings.Contains(err.Error(), "exists already") {
			d.say("  (the account %s exists from an earlier run of this directory: its password is the one printed then)", name)
		} else if err != nil {
			return nil, err
		}
		srv, err := console.New(n, config.Console{Listen: "127.0.0.1:0"}, console.Options{})
		if err != nil {
			return nil, err
		}
		if err := srv.Listen(); err != nil {
			return nil, err
		}
		go func() { done <- srv.Serve(ctx) }()
		d.say("  %-12s %s  account %s", a.id, srv.URL(), name)
	}
	return done, nil
}

// demoPassword returns a fresh password for the demo accounts: 12 random
// bytes, 16 characters.
func demoPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
