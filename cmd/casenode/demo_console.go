package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console"
	"github.com/casenode/casenode/node/console/secretariat"
	"github.com/casenode/casenode/node/hub"
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
	done := make(chan error, len(agencies)+1)
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
	return done, d.startSecretariatConsole(ctx, pw, done)
}

// startSecretariatConsole serves the hub's secretariat console on a
// loopback port, with the account "secretariat", and prints where to sign
// in. Its Serve error goes to done.
func (d *demo) startSecretariatConsole(ctx context.Context, pw string, done chan<- error) error {
	h := d.net.Hub()
	if h == nil {
		return errors.New("demo: the hub is not running")
	}
	const name = "secretariat"
	if _, err := hub.AddStaff(d.net.HubDir(), name, hub.RoleSecretariat, []byte(pw), time.Now()); err != nil && !strings.Contains(err.Error(), "exists already") {
		return err
	} else if err != nil {
		d.say("  (the account %s exists from an earlier run of this directory: its password is the one printed then)", name)
	}
	srv, err := secretariat.New(h, config.Console{Listen: "127.0.0.1:0"}, secretariat.Options{})
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return err
	}
	go func() { done <- srv.Serve(ctx) }()
	d.say("")
	d.say("The secretariat's console (same password; the demo's secretariat key has no passphrase: leave that field empty):")
	d.say("  %-12s %s  account %s", "hub", srv.URL(), name)
	return nil
}

// demoPassword returns a fresh password for the demo accounts: 12 random
// bytes, 16 characters.
func demoPassword() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
