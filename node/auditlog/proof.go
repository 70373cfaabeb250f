package auditlog

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ProofVersion is the version of the proof file format.
const ProofVersion = 1

// MaxProofSize bounds an encoded proof: a payload in base64, a card, a
// checkpoint and the hashes.
const MaxProofSize = MaxPayloadSize*4/3 + 64<<10

// ErrNotCovered reports a record that no stored checkpoint covers yet.
var ErrNotCovered = errors.New("no signed checkpoint covers the record yet")

// Proof is everything needed to show a third party, offline, that one
// record is in an agency's log: the record and its payload, the RFC 6962
// inclusion proof, the signed checkpoint it leads to, and the agency's card
// that signed it. It is JSON in canonical encoding (EncodeProof).
type Proof struct {
	// Version is ProofVersion.
	Version int `json:"v"`
	// Index is the record's index.
	Index int64 `json:"index"`
	// Record is the exact record bytes (base64 in JSON).
	Record []byte `json:"record"`
	// Payload is the exact payload bytes (base64 in JSON).
	Payload []byte `json:"payload"`
	// Hashes is the inclusion proof of tlog.ProveRecord.
	Hashes []tlog.Hash `json:"hashes"`
	// Checkpoint is the signed checkpoint the proof leads to.
	Checkpoint string `json:"checkpoint"`
	// Card is the log's own member card in force at the checkpoint.
	Card json.RawMessage `json:"card"`
}

// EncodeProof returns the canonical encoding of p.
func EncodeProof(p *Proof) ([]byte, error) { return protocol.Marshal(p) }

// DecodeProof decodes a proof, which must be in canonical encoding.
func DecodeProof(data []byte) (*Proof, error) {
	var p Proof
	if err := protocol.DecodeCanonical("audit proof", data, MaxProofSize, &p); err != nil {
		return nil, err
	}
	if p.Version != ProofVersion {
		return nil, fmt.Errorf("audit proof: version %d (this casenode reads version %d)", p.Version, ProofVersion)
	}
	return &p, nil
}

// Prove returns the proof of record i against the newest stored
// checkpoint.
func (r *Reader) Prove(i int64) (*Proof, error) {
	p := &Proof{Version: ProofVersion, Index: i}
	err := r.view(func(b *buckets) error {
		if i < 0 || b.records.Get(itob(i)) == nil {
			n, _ := size(b)
			return fmt.Errorf("record %d does not exist: %w (the log holds %d records, 0 to %d)", i, ErrNotFound, n, n-1)
		}
		k, signed := b.checkpoints.Cursor().Last()
		if k == nil {
			return fmt.Errorf("record %d: %w (the log has no checkpoint)", i, ErrNotCovered)
		}
		cp, _, err := ParseCheckpoint(signed)
		if err != nil {
			return fmt.Errorf("newest checkpoint: %w", err)
		}
		if i < 0 || i >= cp.Size {
			return fmt.Errorf("record %d: %w (the newest covers records 0 to %d)", i, ErrNotCovered, cp.Size-1)
		}
		p.Checkpoint = string(signed)
		p.Record = append([]byte(nil), b.records.Get(itob(i))...)
		p.Payload = append([]byte{}, b.payloads.Get(itob(i))...)
		if len(p.Record) == 0 {
			return fmt.Errorf("record %d: %w", i, ErrNotFound)
		}
		if p.Hashes, err = tlog.ProveRecord(cp.Size, i, bucketHashReader(b.hashes)); err != nil {
			return fmt.Errorf("prove record %d: %w", i, err)
		}
		card, err := ownCardAt(b, cp.Size)
		if err != nil {
			return err
		}
		p.Card = append(json.RawMessage(nil), card...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ownCardAt returns the log's own card in force after the first n records:
// the one meta points to if it is older, else the newest own key record
// before n.
func ownCardAt(b *buckets, n int64) ([]byte, error) {
	if v := b.meta.Get([]byte(metaOwnCard)); v != nil {
		if seq, ok := btoi(v); ok && seq < n {
			return b.payloads.Get(v), nil
		}
	}
	var own string
	c := b.records.Cursor()
	for k, v := c.Seek(itob(n - 1)); k != nil; k, v = c.Prev() {
		rec, err := decodeRecord(v)
		if err != nil {
			return nil, fmt.Errorf("record %x: %w", k, err)
		}
		if rec.Type != TypeKey {
			continue
		}
		card := b.payloads.Get(k)
		mc, err := protocol.ParseMemberCard(card)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", rec.Seq, err)
		}
		if own == "" {
			own = string(b.meta.Get([]byte(metaOrigin)))
		}
		if Origin(mc.Network, mc.Agency) == own {
			return card, nil
		}
	}
	return nil, fmt.Errorf("no own member card in the log")
}

// CheckProof checks a proof alone, offline: the record's encoding, index
// and payload, the checkpoint's signature by the agency's key and the
// inclusion proof. card is the agency's member card as the checker knows
// it; if nil, the card inside the proof is trusted. It returns the
// checkpoint and the record, or a *VerifyError.
func CheckProof(p *Proof, card *protocol.MemberCard) (*Checkpoint, *Record, error) {
	fail := func(kind Kind, what, expected, found string) (*Checkpoint, *Record, error) {
		return nil, nil, &VerifyError{Kind: kind, Index: p.Index, What: what, Expected: expected, Found: found}
	}
	rec, err := DecodeRecord(p.Record)
	if err != nil {
		return fail(KindIntegrity, err.Error(), "", "")
	}
	if rec.Seq != p.Index {
		return fail(KindIntegrity, "record sequence number", fmt.Sprint(p.Index), fmt.Sprint(rec.Seq))
	}
	if h := sha256.Sum256(p.Payload); int64(len(p.Payload)) != rec.PayloadSize || h != rec.PayloadHash {
		return fail(KindIntegrity, "payload does not match the record's SHA-256 and size", "", "")
	}
	if card == nil {
		if card, err = protocol.ParseMemberCard(p.Card); err != nil {
			return fail(KindIntegrity, "the proof's card: "+err.Error(), "", "")
		}
	}
	origin := Origin(card.Network, card.Agency)
	verifier, err := NewVerifier(origin, card.PublicKey())
	if err != nil {
		return fail(KindTrust, err.Error(), "", "")
	}
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return fail(KindTrust, "the checkpoint is not signed by the card's key", fmt.Sprintf("%s+%08x", origin, verifier.KeyHash()), "another key")
		case errors.As(err, &invalid):
			return fail(KindIntegrity, "the checkpoint's signature does not verify", "", "")
		}
		return fail(KindIntegrity, "checkpoint: "+err.Error(), "", "")
	}
	if cp.Origin != origin {
		return fail(KindTrust, "checkpoint origin", origin, cp.Origin)
	}
	if p.Index >= cp.Size {
		return fail(KindIntegrity, "the record is beyond the checkpoint", fmt.Sprintf("index below %d", cp.Size), fmt.Sprint(p.Index))
	}
	if err := tlog.CheckRecord(p.Hashes, cp.Size, cp.Root, p.Index, tlog.RecordHash(p.Record)); err != nil {
		return fail(KindIntegrity, "inclusion proof: "+err.Error(), "", "")
	}
	return cp, rec, nil
}
