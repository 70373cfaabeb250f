package evidence

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// receiptSkew is how far a receipt's own time may be after the sender's
// log recorded it: the two agencies' clocks differ a little.
const receiptSkew = seal.DefaultSkew

// Delivered is what a checked delivery proof establishes.
type Delivered struct {
	// MessageID is the message's id.
	MessageID string
	// Network, From and To are the network, the sending agency and the
	// recipient whose receipts the proof holds.
	Network, From, To string
	// MsgType and Case are the message's type and case, from its signed
	// header.
	MsgType protocol.MessageType
	Case    string
	// MessageHash is the SHA-256 of the sealed message, lowercase hex, as
	// the receipts bind it.
	MessageHash string
	// Sent is when the sender's log recorded the message.
	Sent time.Time
	// DeliveredAt is the time of the delivered receipt, as the recipient
	// signed it; DeliveredStored is when the hub stored it (zero if its
	// record has no hub stamp); DeliveredLogged is when the sender's log
	// recorded it.
	DeliveredAt, DeliveredStored, DeliveredLogged time.Time
	// ReadAt, ReadStored and ReadLogged are the same of the read receipt;
	// zero without one.
	ReadAt, ReadStored, ReadLogged time.Time
	// Checkpoint is the checkpoint the records are proved against.
	Checkpoint *auditlog.Checkpoint
	// RosterSerial is the serial of the roster the keys come from.
	RosterSerial uint64
	// SenderKeyID and RecipientKeyID are the keys that signed the
	// checkpoint and the receipts.
	SenderKeyID, RecipientKeyID string
	// CosignedBy are the witnesses (of the roster) whose cosignatures of
	// the checkpoint verified, and CosignedAt when each cosigned: the
	// witness saw this checkpoint, so the sender's log cannot later be
	// shown without these records.
	CosignedBy []string
	CosignedAt []time.Time
	// Indexes are the records' indexes in the sender's log: sent,
	// delivered and, with a read receipt, read.
	Indexes []int64
}

// DeliveryError is a check of a delivery proof that failed.
type DeliveryError struct {
	// Part is the part of the proof at fault: "roster", "checkpoint",
	// "sent", "delivered" or "read".
	Part string
	// Msg says what is wrong.
	Msg string
	// Trust says that something is signed by a key the roster (or, for
	// the roster, the secretariat's key) does not give for it; otherwise
	// the proof's bytes are not what they claim to be.
	Trust bool
}

// part is one record of a delivery proof: its name, the item and the
// record type it must be.
type part struct {
	part string
	it   *Item
	typ  auditlog.Type
}

// untrusted is a signature by a key the roster does not give.
type untrusted struct{ error }

// distrust marks err as a signature by an untrusted key.
func distrust(format string, args ...any) error { return untrusted{fmt.Errorf(format, args...)} }

// Error implements error.
func (e *DeliveryError) Error() string { return e.Part + ": " + e.Msg }

// CheckDelivery checks a delivery proof alone, offline, against the
// secretariat's key, trusting nothing in it before it is verified: the
// roster's signature by secretariat; the checkpoint's signature by the
// sender's key from that roster (every signature line must verify); each
// record's encoding, payload hash and inclusion in the checkpoint's tree;
// the sealed message's signature and its header; each receipt's signature
// by the recipient's key from the roster, judged at the later of the
// receipt's time and the hub's storage time when its record has it,
// and that it binds the message's id and SHA-256 and comes from a
// recipient of the message to its sender. Every failure is a
// *DeliveryError.
func CheckDelivery(d *Delivery, secretariat ed25519.PublicKey) (*Delivered, error) {
	fail := func(part, format string, args ...any) (*Delivered, error) {
		e := &DeliveryError{Part: part, Msg: fmt.Sprintf(format, args...)}
		for _, a := range args {
			var u untrusted
			var se *seal.Error
			if err, ok := a.(error); ok && (errors.As(err, &u) || errors.As(err, &se) && se.Reason != protocol.ReasonBadSignature && se.Reason != protocol.ReasonMalformed) {
				e.Trust = true
			}
		}
		return nil, e
	}
	if d.Format != DeliveryFormat || d.Version != DeliveryVersion {
		return fail("format", "format %q version %d, not %q version %d", d.Format, d.Version, DeliveryFormat, DeliveryVersion)
	}

	// The roster, by the secretariat's key.
	want := protocol.KeyID(secretariat)
	payload, kid, err := jws.Verify([]byte(d.Roster), protocol.RosterType, protocol.MaxSignedRosterSize, func(kid string) (ed25519.PublicKey, error) {
		if kid != want {
			return nil, distrust("signed by key %s, not by the secretariat's key %s", kid, want)
		}
		return secretariat, nil
	})
	if err != nil {
		return fail("roster", "%v", err)
	}
	roster, err := protocol.ParseRoster(payload)
	if err != nil {
		return fail("roster", "%v", err)
	}
	if err := roster.CheckSigner(kid); err != nil {
		return fail("roster", "%v", untrusted{err})
	}

	// The checkpoint, by the sender's key from the roster.
	cp, sender, senderKID, err := openCheckpoint([]byte(d.Checkpoint), roster)
	if err != nil {
		return fail("checkpoint", "%v", err)
	}

	// The records, in the checkpoint's tree.
	items := []part{{"sent", &d.Sent, auditlog.TypeSent}, {"delivered", &d.Delivered, auditlog.TypeReceipt}}
	if d.Read != nil {
		items = append(items, part{"read", d.Read, auditlog.TypeReceipt})
	}
	recs := map[string]*auditlog.Record{}
	res := &Delivered{Network: roster.Network, From: sender, Checkpoint: cp, RosterSerial: roster.Serial, SenderKeyID: senderKID}
	if ws, err := witness.Verifiers(roster.WitnessKeys(sender)); err == nil {
		if cs, _, err := witness.CheckCosigned([]byte(d.Checkpoint), ws); err == nil {
			for _, c := range cs {
				res.CosignedBy, res.CosignedAt = append(res.CosignedBy, c.Witness), append(res.CosignedAt, c.Time)
			}
		}
	}
	for _, x := range items {
		rec, err := checkItem(x.it, cp)
		if err != nil {
			return fail(x.part, "%v", err)
		}
		if rec.Type != x.typ {
			return fail(x.part, "record %d is a %s record, not a %s record", rec.Seq, rec.Type, x.typ)
		}
		recs[x.part] = rec
		res.Indexes = append(res.Indexes, rec.Seq)
	}

	// The sealed message, signed by the sender.
	sent := recs["sent"]
	// Judged as its recipients' nodes judged it: by the roster at its
	// creation time (the hub's storage time is not in the sender's log).
	parsed, _, err := seal.Parse(d.Sent.Payload)
	if err != nil {
		return fail("sent", "the sealed message: %v", err)
	}
	env, err := seal.Verify(d.Sent.Payload, &seal.RosterKeys{Roster: roster, At: parsed.Header.Created.Time}, seal.VerifyOptions{Network: roster.Network, SkipTime: true})
	if err != nil {
		return fail("sent", "the sealed message: %v", err)
	}
	h := env.Header
	if h.From != sender {
		return fail("sent", "the message is from %s, but the checkpoint is of the log of %s", h.From, sender)
	}
	if h.ID != sent.MessageID {
		return fail("sent", "the record is about message %s, but the sealed message is %s", sent.MessageID, h.ID)
	}
	hash := sha256.Sum256(d.Sent.Payload)
	res.MessageID, res.MsgType, res.Case, res.MessageHash, res.Sent = h.ID, h.MsgType, h.Case, hex.EncodeToString(hash[:]), sent.Time

	// The receipts, signed by a recipient.
	for _, x := range items[1:] {
		rec := recs[x.part]
		var stored time.Time
		if rec.Hub != nil {
			stored = rec.Hub.Stored
		}
		rc, rkid, err := checkReceipt(x.it.Payload, roster, stored)
		if err != nil {
			return fail(x.part, "%v", err)
		}
		kind := protocol.ReceiptKind(x.part)
		switch {
		case rc.Kind != kind:
			return fail(x.part, "a %s receipt, not a %s receipt", rc.Kind, kind)
		case res.To != "" && rc.From != res.To:
			return fail(x.part, "a receipt from %s, but the delivered receipt is from %s", rc.From, res.To)
		case !slices.Contains(h.To, rc.From):
			return fail(x.part, "a receipt from %s, who is not a recipient of the message (%s)", rc.From, strings.Join(h.To, ", "))
		case rc.To != sender || rc.Network != roster.Network:
			return fail(x.part, "a receipt to %s in network %s, not to %s in network %s", rc.To, rc.Network, sender, roster.Network)
		case rc.MessageID != h.ID:
			return fail(x.part, "a receipt about message %s, not %s", rc.MessageID, h.ID)
		case rc.MessageHash != res.MessageHash:
			return fail(x.part, "the receipt binds SHA-256 %s, but the sealed message's is %s", rc.MessageHash, res.MessageHash)
		case rec.MessageID != rc.MessageID || rec.Actor != rc.From:
			return fail(x.part, "record %d is about message %q by %q, but the receipt is about %s from %s", rec.Seq, rec.MessageID, rec.Actor, rc.MessageID, rc.From)
		case rc.Time.After(rec.Time.Add(receiptSkew)):
			return fail(x.part, "the receipt's time %s is after the sender's log recorded it (%s)", rc.Time, protocol.NewTime(rec.Time))
		}
		res.To, res.RecipientKeyID = rc.From, rkid
		if kind == protocol.ReceiptDelivered {
			res.DeliveredAt, res.DeliveredStored, res.DeliveredLogged = rc.Time.Time, stored, rec.Time
		} else {
			res.ReadAt, res.ReadStored, res.ReadLogged = rc.Time.Time, stored, rec.Time
		}
	}
	return res, nil
}

// openCheckpoint verifies a signed checkpoint of a member's log with that
// member's keys in roster: the card's key, or a previous key not revoked.
// The sender's signature is required, and every signature line must be by
// a key the roster gives for the checkpoint: a line nobody can check (a
// cosignature by a witness the roster does not list, say) is refused, not
// ignored, so that no byte of the note goes unchecked. The roster lists no
// witnesses yet; their keys will join the verifiers here. It returns the
// checkpoint, the member and the key that signed it.
func openCheckpoint(signed []byte, roster *protocol.Roster) (*auditlog.Checkpoint, string, string, error) {
	unchecked, _, err := auditlog.ParseCheckpoint(signed)
	if err != nil {
		return nil, "", "", err
	}
	agency, ok := strings.CutPrefix(unchecked.Origin, "casenode/"+roster.Network+"/")
	if !ok {
		return nil, "", "", distrust("origin %q is not a log of network %s", unchecked.Origin, roster.Network)
	}
	m := roster.Member(agency)
	if m == nil {
		return nil, "", "", distrust("agency %q of the checkpoint is not in roster serial %d", agency, roster.Serial)
	}
	keys := map[uint32]string{}
	var vs []note.Verifier
	add := func(kid string, pub ed25519.PublicKey) error {
		v, err := auditlog.NewVerifier(unchecked.Origin, pub)
		if err != nil {
			return err
		}
		keys[v.KeyHash()] = kid
		vs = append(vs, v)
		return nil
	}
	if err := add(m.Card.KeyID(), m.Card.PublicKey()); err != nil {
		return nil, "", "", err
	}
	for i := range m.Previous {
		if p := &m.Previous[i]; !p.Revoked {
			if err := add(p.KeyID(), p.PublicKey()); err != nil {
				return nil, "", "", err
			}
		}
	}
	// The witnesses the roster names, and the other members as peer
	// witnesses, may have cosigned the checkpoint (C2SP
	// tlog-cosignature): their lines are checked with their keys,
	// and any other line is refused below.
	witnesses, err := witness.Verifiers(roster.WitnessKeys(agency))
	if err != nil {
		return nil, "", "", distrust("the roster's witness keys: %v", err)
	}
	for _, w := range witnesses {
		vs = append(vs, w)
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, "", "", distrust("not signed by a key of %s in roster serial %d", agency, roster.Serial)
		}
		return nil, "", "", err
	}
	if len(n.UnverifiedSigs) > 0 {
		s := n.UnverifiedSigs[0]
		return nil, "", "", distrust("a signature by %s+%08x, a key the roster does not give for it", s.Name, s.Hash)
	}
	kid := ""
	for _, sig := range n.Sigs {
		if k, ok := keys[sig.Hash]; ok && sig.Name == unchecked.Origin {
			kid = k
			break
		}
	}
	if kid == "" {
		return nil, "", "", distrust("not signed by a key of %s in roster serial %d", agency, roster.Serial)
	}
	cp, err := auditlog.OpenCheckpoint(signed, note.VerifierList(vs...))
	if err != nil {
		return nil, "", "", err
	}
	return cp, agency, kid, nil
}

// checkItem checks one record of the proof: its canonical encoding and
// index, its payload's SHA-256 and size, and its inclusion in the
// checkpoint's tree.
func checkItem(it *Item, cp *auditlog.Checkpoint) (*auditlog.Record, error) {
	rec, err := auditlog.DecodeRecord(it.Record)
	if err != nil {
		return nil, err
	}
	if rec.Seq != it.Index {
		return nil, fmt.Errorf("the record's sequence number is %d, not the index %d", rec.Seq, it.Index)
	}
	if h := sha256.Sum256(it.Payload); int64(len(it.Payload)) != rec.PayloadSize || !bytes.Equal(h[:], rec.PayloadHash[:]) {
		return nil, fmt.Errorf("the payload does not match record %d's SHA-256 and size", rec.Seq)
	}
	if it.Index >= cp.Size {
		return nil, fmt.Errorf("record %d is beyond the checkpoint of size %d", it.Index, cp.Size)
	}
	if err := tlog.CheckRecord(it.Hashes, cp.Size, cp.Root, it.Index, tlog.RecordHash(it.Record)); err != nil {
		return nil, fmt.Errorf("inclusion proof of record %d: %v", it.Index, err)
	}
	return rec, nil
}

// checkReceipt verifies a receipt's JWS with its issuer's key from the
// roster, judged as the sender's node judged it: at the later of the
// receipt's own time and stored, the time the hub stored it (zero when
// unknown), so that neither the recipient's clock nor the hub's alone
// moves a receipt into a key's validity. It returns the receipt and the
// key id.
func checkReceipt(signed []byte, roster *protocol.Roster, stored time.Time) (*protocol.Receipt, string, error) {
	p, err := jws.Parse(signed, protocol.ReceiptJWSType, maxReceiptJWS)
	if err != nil {
		return nil, "", err
	}
	// Decoded here only to learn the issuer and the time to judge the
	// key at; nothing in it is used before the signature verifies.
	rc, err := protocol.ParseReceipt(p.Payload)
	if err != nil {
		return nil, "", err
	}
	at := rc.Time.Time
	if stored.After(at) {
		at = stored
	}
	pub, err := roster.SigningKeyAt(rc.From, p.KeyID, at)
	if err != nil {
		return nil, "", distrust("the receipt's key: %v", err)
	}
	if err := p.Verify(pub); err != nil {
		return nil, "", fmt.Errorf("the receipt's signature by %s: %v", rc.From, err)
	}
	return rc, p.KeyID, nil
}
