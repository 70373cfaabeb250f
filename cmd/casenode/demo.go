package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// runDemo is 'casenode demo': a whole network on this machine, a hub and
// three agencies, and an exchange between them told step by step.
func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "")
	dir := fs.String("dir", "", "keep the hub's and the agencies' directories under this new directory (default: a temporary one, removed at the end)")
	keep := fs.Bool("keep", false, "leave the network running after the demo, with commands to try against it, until Ctrl-C")
	classic := fs.Bool("classic", false, "classic X25519 keys instead of post-quantum hybrid ones")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	root, cleanup, err := demoDir(*dir)
	if err != nil {
		return err
	}
	defer cleanup()
	d := &demo{e: e, dir: root, kind: protocol.KindHybrid, start: time.Now(), explained: map[string]bool{}, shown: map[string]map[string]int{}}
	if *classic {
		d.kind = protocol.KindClassic
	}
	defer d.close()
	if err := d.tell(ctx); err != nil {
		if ctx.Err() != nil {
			return errors.New("demo interrupted")
		}
		if *dir == "" {
			return withHint(err, "run 'casenode demo --dir DIR' to keep the nodes' directories and audit logs for a look")
		}
		return err
	}
	if *keep {
		return d.keepRunning(ctx, *dir != "")
	}
	if *dir != "" {
		exe, accra, abuja := demoCommand(), d.agencyDir(demoAccra), d.agencyDir(demoAbuja)
		d.say("The directories stay in %s: the audit logs, the stores, the keys. Try:", root)
		d.say("  %s audit replay --db %s --dir %s", exe, filepath.Join(accra, auditlog.FileName), accra)
		d.say("  %s audit verify --db %s --card %s", exe, filepath.Join(abuja, auditlog.FileName), filepath.Join(abuja, identity.CardFile))
	} else {
		d.say("Run it again with --keep (make demo DEMOFLAGS=--keep) to explore the running network with")
		d.say("the other commands, or with --dir DIR to keep its directories.")
	}
	return nil
}

// demoDir returns the demo's directory: dir, which must not exist or be
// empty, or a new temporary directory that cleanup removes.
func demoDir(dir string) (root string, cleanup func(), err error) {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "casenode-demo-")
		if err != nil {
			return "", nil, err
		}
		return tmp, func() { os.RemoveAll(tmp) }, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	entries, err := os.ReadDir(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o700); err != nil {
			return "", nil, err
		}
	case err != nil:
		return "", nil, withHint(fmt.Errorf("--dir %s: %w", dir, err), "--dir is a new directory for the demo's network")
	case len(entries) > 0:
		return "", nil, withHint(fmt.Errorf("--dir %s is not empty", dir), "give a new directory, or remove %s first", dir)
	}
	return abs, func() {}, nil
}

// demo is one run of the demo: its network and what it has told so far.
type demo struct {
	e     *env
	dir   string
	kind  protocol.RecipientKind
	start time.Time
	net   *localnet.Net
	// explained holds the copy states and ideas already explained once.
	explained map[string]bool
	// shown holds, by message id, how many states of each recipient's copy
	// follow has told.
	shown map[string]map[string]int
	// requestID and statusID are the ids of the request and of the first
	// status, which Accra leaves unread.
	requestID, statusID string
}

// close stops whatever still runs: the nodes, then the hub.
func (d *demo) close() {
	if d.net != nil {
		if err := d.net.Close(); err != nil {
			fmt.Fprintf(d.e.stderr, "casenode: warning: stopping the demo network: %v\n", err)
		}
		d.net = nil
	}
}

// tell runs the whole story, from setting up the network to verifying
// every audit log.
func (d *demo) tell(ctx context.Context) error {
	steps := []func(context.Context) error{
		d.setUp, d.shareLead, d.requestPreservation, d.answerRequest,
		d.publishContacts, d.showThread, d.showDirectory, d.showInboxes, d.verifyAudit,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	d.say("")
	d.say("Demo finished in %s.", time.Since(d.start).Round(100*time.Millisecond))
	return nil
}

// say prints one line of the story.
func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.e.stdout, format+"\n", args...)
}

// step prints the heading of a step.
func (d *demo) step(n int, title string) {
	fmt.Fprintf(d.e.stdout, "\n[%d] %s\n", n, title)
}

// explain prints a line only the first time it is given key.
func (d *demo) explain(key, format string, args ...any) {
	if d.explained[key] {
		return
	}
	d.explained[key] = true
	d.say(format, args...)
}

// agencyDir returns an agency's directory.
func (d *demo) agencyDir(agency string) string { return filepath.Join(d.dir, agency) }
