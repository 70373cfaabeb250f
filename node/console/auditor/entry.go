package auditor

import (
	"encoding/hex"
	"errors"

	"github.com/casenode/casenode/node/auditlog"
)

// entry is one record as the timeline and the record page show it.
type entry struct {
	Log string
	Ev  *auditlog.Event
	Rec *auditlog.Record
	// Own is the agency whose log it is.
	Own string
	// Hash is the record's leaf hash in the Merkle tree; Prev the previous
	// record's; PayloadHash the payload's SHA-256, in hex.
	Hash, Prev, PayloadHash string
	// Bytes is the record's encoding in hex.
	Bytes string
	// Proof is the record's inclusion proof against the newest checkpoint.
	Proof *proofView
	// Open shows the record expanded (its own page).
	Open bool
	// Peers are a sent message's recipients, each with its log if the
	// console serves it.
	Peers []peer
}

// peer is a recipient of a sent message and its log's name, if served.
type peer struct {
	Agency, Log string
}

// proofView is an inclusion proof as the pages show it.
type proofView struct {
	// Covered says that a stored checkpoint covers the record.
	Covered bool
	// Size and Root are the checkpoint's.
	Size   int64
	Root   string
	Hashes []string
	// Checked says that the proof checks (auditlog.CheckProof), with the
	// card it holds; Problem says why not.
	Checked bool
	Problem string
}

// entry builds the view of ev; latest is the log's newest checkpoint, or
// nil.
func (s *Server) entry(lf *logFile, ev *auditlog.Event, latest *auditlog.Checkpoint) *entry {
	rec := ev.Record
	e := &entry{Log: lf.name, Ev: ev, Rec: rec, Own: lf.own(), Hash: rec.Hash().String(), Prev: rec.Prev.String(),
		PayloadHash: hex.EncodeToString(rec.PayloadHash[:]), Bytes: hex.EncodeToString(rec.Bytes()), Proof: &proofView{}}
	if e.Sent() {
		for _, a := range ev.Message.To {
			e.Peers = append(e.Peers, peer{Agency: a, Log: s.logOf(a)})
		}
	}
	if latest == nil || rec.Seq >= latest.Size {
		return e
	}
	p, err := lf.r.Prove(rec.Seq)
	if err != nil {
		if !errors.Is(err, auditlog.ErrNotCovered) {
			e.Proof.Problem = err.Error()
		}
		return e
	}
	e.Proof.Covered = true
	for _, h := range p.Hashes {
		e.Proof.Hashes = append(e.Proof.Hashes, h.String())
	}
	cp, _, err := auditlog.CheckProof(p, nil)
	if err != nil {
		e.Proof.Problem = err.Error()
		if c, _, perr := auditlog.ParseCheckpoint([]byte(p.Checkpoint)); perr == nil {
			e.Proof.Size, e.Proof.Root = c.Size, c.Root.String()
		}
		return e
	}
	e.Proof.Checked, e.Proof.Size, e.Proof.Root = true, cp.Size, cp.Root.String()
	return e
}

// Sent says the record is a message the node sent: its delivery can be
// proved, and the recipient's log compared.
func (e *entry) Sent() bool { return e.Rec.Type == auditlog.TypeSent && e.Ev.Message != nil }

// OwnCard says a key record holds the log's own card.
func (e *entry) OwnCard() bool { return e.Ev.Card != nil && e.Ev.Card.Agency == e.Own }

// ReceiptOut says a receipt record is one the node sent.
func (e *entry) ReceiptOut() bool { return e.Ev.Receipt != nil && e.Ev.Receipt.From == e.Own }
