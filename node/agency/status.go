package agency

import (
	"context"
	"os"
	"time"

	"github.com/casenode/casenode/node/store"
)

// Status is what the node reports of itself. Its JSON field names are
// stable.
type Status struct {
	Network string `json:"network"`
	Agency  string `json:"agency"`
	// Running says that the node is connected or trying to connect.
	Running bool      `json:"running"`
	Hub     HubStatus `json:"hub"`
	// Roster is the roster in force, or nil before the first.
	Roster *RosterStatus `json:"roster"`
	Inbox  InboxStatus   `json:"inbox"`
	Outbox OutboxStatus  `json:"outbox"`
	// PendingReceipts counts the copies sent that wait for their
	// recipient's delivered receipt.
	PendingReceipts int64 `json:"pending_receipts"`
	// ReceiptsQueued counts the receipts this node signed that wait for the
	// hub's acknowledgement.
	ReceiptsQueued int64 `json:"receipts_queued"`
	// Rejected counts the inputs the node rejected.
	Rejected int64       `json:"rejected"`
	Audit    AuditStatus `json:"audit"`
	// WriteAlarm is set while the node cannot write its files for want of
	// space: it takes no input, and retries on its own.
	WriteAlarm *WriteAlarm `json:"write_alarm,omitempty"`
	// Checks are the readiness checks (readiness.go): what /readyz says.
	Checks []Check `json:"checks"`
	// Transfers are the attachments moving to or from the hub now.
	Transfers TransferStatus `json:"transfers"`
}

// TransferStatus sums up the attachments moving to or from the hub.
type TransferStatus struct {
	Moving int `json:"moving"`
	// Done and Total are ciphertext bytes; Rate bytes a second.
	Done  int64   `json:"done"`
	Total int64   `json:"total"`
	Rate  float64 `json:"rate"`
}

// RosterStatus describes the roster in force.
type RosterStatus struct {
	Serial  uint64    `json:"serial"`
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
	Expired bool      `json:"expired"`
	// ExpiresSoon says that it expires within ExpiryWarning: the
	// secretariat should renew it.
	ExpiresSoon bool `json:"expires_soon"`
	Members     int  `json:"members"`
	Active      int  `json:"active"`
	// Standing is this agency's status in it: active, suspended, revoked, or absent.
	Standing string `json:"standing"`
	// StandingSince is when this agency took that status, if it is a
	// member.
	StandingSince time.Time `json:"standing_since,omitzero"`
	// Alarm is why the node last refused a roster the hub offered (a
	// forged one, a lower serial, another roster with the serial in force),
	// keeping the one in force; empty if it never did since it opened.
	Alarm string `json:"alarm,omitempty"`
	// CardChanges are the agencies whose signing key a roster taken since
	// the node opened changed, newest last: confirm each new key id with
	// its agency.
	CardChanges []CardChange `json:"card_changes,omitempty"`
}

// InboxStatus counts the inbox.
type InboxStatus struct {
	Messages int64 `json:"messages"`
	Unread   int64 `json:"unread"`
}

// OutboxStatus counts the outbox: messages, and their copies (one per
// recipient) by state.
type OutboxStatus struct {
	Messages int64               `json:"messages"`
	Copies   map[CopyState]int64 `json:"copies"`
}

// AuditStatus describes the audit log.
type AuditStatus struct {
	// Records is the number of records; Bytes the file's size.
	Records int64 `json:"records"`
	Bytes   int64 `json:"bytes"`
	// Checkpoint is the newest signed checkpoint, or nil.
	Checkpoint *CheckpointStatus `json:"checkpoint"`
	// Failed is why the audit log takes no more records until the node is
	// restarted, or why its last write failed for want of space; empty
	// while it writes.
	Failed string `json:"failed,omitempty"`
	// Witness is what the node knows of the hub witness's cosignatures of
	// its checkpoints, while it runs.
	Witness *WitnessStatus `json:"witness,omitempty"`
}

// CheckpointStatus is a signed checkpoint of the audit log.
type CheckpointStatus struct {
	Size int64  `json:"size"`
	Root string `json:"root"`
}

// Status reports the node's state.
func (n *Node) Status(ctx context.Context) (*Status, error) {
	s := &Status{Network: n.cfg.Network, Agency: n.cfg.Agency, Running: n.running.Load(), Hub: n.hub.status(), Transfers: n.xfer.status()}
	if rf := n.rosterNow(); rf != nil {
		r := rf.roster
		now := n.o.Now()
		s.Roster = &RosterStatus{Serial: r.Serial, Issued: r.Issued.Time, Expires: r.Expires.Time, Expired: !now.Before(r.Expires.Time),
			ExpiresSoon: now.Before(r.Expires.Time) && r.Expires.Sub(now) < ExpiryWarning,
			Members:     len(r.Members), Active: r.ActiveCount(), Standing: "absent"}
		if m := r.Member(n.cfg.Agency); m != nil {
			s.Roster.Standing, s.Roster.StandingSince = string(m.Status), m.Since.Time
		}
		s.Roster.Alarm, s.Roster.CardChanges = n.alarms.get()
	}
	var c store.Counts
	if err := n.store.View(func(tx *store.Tx) error { c = tx.Counts(); return nil }); err != nil {
		return nil, err
	}
	s.Inbox = InboxStatus{Messages: c.Inbox, Unread: c.Unread}
	s.Outbox = OutboxStatus{Messages: c.Outbox, Copies: copyCounts(c.Copies)}
	s.PendingReceipts = c.Copies[store.CopyQueued] + c.Copies[store.CopyRelayed]
	s.ReceiptsQueued = c.ReceiptsQueued
	s.Rejected = c.Rejected
	size, err := n.audit.Size()
	if err != nil {
		return nil, err
	}
	s.Audit.Records = size
	if fi, err := os.Stat(n.audit.Path()); err == nil {
		s.Audit.Bytes = fi.Size()
	}
	if _, err := n.audit.WriteError(); err != nil {
		s.Audit.Failed = err.Error()
	}
	s.WriteAlarm = n.writes.status()
	if cp := n.audit.LatestCheckpoint(); cp != nil {
		s.Audit.Checkpoint = &CheckpointStatus{Size: cp.Size, Root: cp.Root.String()}
	}
	if s.Running {
		w := n.Witness()
		w.Peers = n.PeerWitnesses()
		s.Audit.Witness = &w
	}
	s.Checks = s.checks()
	return s, nil
}
