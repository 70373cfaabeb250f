package agency

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/hubconn"
	"github.com/casenode/casenode/node/store"
	"github.com/nats-io/nats.go"
)

// Node is an agency's node. Its methods are safe for concurrent use.
type Node struct {
	dir string
	cfg *config.Node
	// keys holds the agency's identity, all its keys; reloadKeys
	// replaces it after 'casenode keys rotate' (keys.go).
	keys   atomic.Pointer[identity.Identity]
	keysMu sync.Mutex // serializes reloading the keys
	o      Options
	log    *slog.Logger
	// stamps give sealed messages their creation time and id (stamps.go).
	stamps stamps
	store  *store.Store
	audit  *auditlog.Log
	hub    *hubState
	// connOpts are the connection options of the node connection
	// contract (package hubconn), made at Open so that a missing or
	// exposed credentials file stops the node at once.
	connOpts []nats.Option
	pub      *publisher
	xfer     *transfers
	sends    *sendCommitter
	sealers  sealers

	roster   atomic.Pointer[rosterInForce]
	rosterMu sync.Mutex    // serializes roster changes
	rosterCh chan struct{} // signalled when a roster is taken
	alarms   rosterAlarms  // what the node saw of rosters that needs a human
	showMu   sync.Mutex    // serializes the first read of a message
	inflight inflight      // messages recorded, not yet stored
	writes   writeAlarm    // raised while the disk is full
	counts   counters      // what the node did, for its metrics
	witness  witnessState  // the witnessing of the audit log (witness.go)
	// peers is the witnessing by and of peer agencies (peerwitness.go).
	peers peerWitnessing
	// keptRejections bounds the rejections kept in full per publisher.
	keptRejections keptRejections
	running        atomic.Bool
}

// Open opens the node of directory dir: its configuration, its identity,
// its file — the audit log, which holds the store (a directory of the
// earlier layout, with the store in a file of its own, is converted once:
// auditlog.CombineStore) — and the roster it last accepted. It does
// not connect to the hub; Run does. Close releases the files.
func Open(ctx context.Context, dir string, o Options) (_ *Node, err error) {
	o.fill()
	cfg, err := config.LoadNode(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &hint.Error{Kind: ErrNotReady, Msg: fmt.Sprintf("%s has no %s", dir, config.NodeFile),
				Fix: "run 'casenode join --dir " + dir + " --hub URL --creds FILE --secretariat KEY' first"}
		}
		return nil, err
	}
	id, err := identity.LoadAll(dir, o.Passphrase)
	if err != nil {
		return nil, err
	}
	if id.Network() != cfg.Network || id.Agency() != cfg.Agency {
		return nil, fmt.Errorf("%s: the identity in %s is agency %q of network %q, but node.json says agency %q of network %q",
			dir, dir, id.Agency(), id.Network(), cfg.Agency, cfg.Network)
	}
	connOpts, err := hubconn.Options(cfg)
	if err != nil {
		return nil, err
	}
	n := &Node{dir: dir, cfg: cfg, o: o, log: o.Logger.With("agency", cfg.Agency),
		hub: newHubState(o.Now()), rosterCh: make(chan struct{}, 1), connOpts: connOpts,
		keptRejections: keptRejections{perHour: cfg.RejectionsKeptPerHour}}
	n.keys.Store(id)
	n.xfer = newTransfers(n)
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	path := filepath.Join(dir, auditlog.FileName)
	converted, err := auditlog.CombineStore(path, filepath.Join(dir, store.OldFileName), o.LockTimeout)
	if err != nil {
		return nil, inUse(err)
	}
	if converted {
		n.log.Warn("converted the node's files to one file: the store is now in the audit log's file; the old files are kept",
			"file", path, "kept", []string{auditlog.FileName + auditlog.PreMigration, store.OldFileName + auditlog.PreMigration})
	}
	n.audit, err = auditlog.Open(path, AuditOptions(id, o.LockTimeout, o.Now))
	if err != nil {
		return nil, inUse(err)
	}
	if n.store, err = store.OpenIn(n.audit.DB(), auditlog.StoreBucket, n.audit.Commit); err != nil {
		return nil, err
	}
	if err := n.loadRoster(); err != nil {
		return nil, err
	}
	if ue := n.audit.Uncovered(); ue != nil {
		// Records someone wrote without the key: the node signs nothing,
		// takes no input and says so until the log is restarted.
		n.alarms.raiseKind(AlarmAuditUncovered, ue.Error()+"; "+ue.Hint())
		n.log.Error("the audit log was written to without the agency's key: the node takes no input", "err", ue, "hint", ue.Hint())
		if n.pub, err = newPublisher(n); err != nil {
			return nil, err
		}
		n.sends = newSendCommitter(n)
		return n, nil
	}
	if err := n.completeAudit(ctx); err != nil {
		return nil, err
	}
	if err := n.completeSends(); err != nil {
		return nil, err
	}
	if err := n.sweepAttachments(); err != nil {
		return nil, err
	}
	if err := n.recordConfig(ctx); err != nil {
		return nil, err
	}
	if n.pub, err = newPublisher(n); err != nil {
		return nil, err
	}
	n.sends = newSendCommitter(n)
	return n, nil
}

// Dir returns the node's directory.
func (n *Node) Dir() string { return n.dir }

// Agency returns the node's agency id.
func (n *Node) Agency() string { return n.cfg.Agency }

// Network returns the node's network id.
func (n *Node) Network() string { return n.cfg.Network }

// Config returns the node's configuration. The caller must not modify it.
func (n *Node) Config() *config.Node { return n.cfg }

// Close closes the store and the audit log, the node's one file. Run must
// have returned.
func (n *Node) Close() error {
	var errs []error
	if n.sends != nil {
		n.sends.close()
		n.sends = nil
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
		n.store = nil
	}
	if n.audit != nil {
		errs = append(errs, n.audit.Close())
		n.audit = nil
	}
	return errors.Join(errs...)
}

// inUse turns the audit log's file being locked into what it means when
// a node opens it: another node runs on the directory.
func inUse(err error) error {
	var ue *auditlog.InUseError
	if errors.As(err, &ue) {
		return &store.InUseError{Path: ue.Path}
	}
	return err
}

// AuditOptions are the options the node opens its audit log with: the
// agency's current card and key, its previous keys (a checkpoint signed
// before a key rotation is still the agency's), and held, should records
// no signed checkpoint covers be found ('casenode audit restart-log' opens
// it with the same, to start a new log).
func AuditOptions(id *identity.Identity, lockTimeout time.Duration, now func() time.Time) auditlog.Options {
	o := auditlog.Options{Card: id.Card, Key: id.Signing, HoldUncovered: true, LockTimeout: lockTimeout, Now: now}
	for _, p := range id.Previous {
		o.PreviousKeys = append(o.PreviousKeys, p.Card.PublicKey())
	}
	return o
}
