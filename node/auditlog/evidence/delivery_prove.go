package evidence

import (
	"fmt"
	"slices"
	"strings"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// ProveDelivery returns the proof that message msgID, sent by the log's
// agency, was delivered to the agency to, from the log alone: the sent
// record, the first delivered and read receipts from to (as the log holds
// them), their inclusion proofs against the newest stored checkpoint, that
// checkpoint, and the roster of the newest roster record it covers. An
// empty to means the message's one recipient. It fails with
// ErrNotDelivered when the log holds no delivered receipt from to, and
// with auditlog.ErrNotCovered when the checkpoint does not cover what the
// proof needs yet. It reads the log once, keeping only the records it
// proves.
//
// The proof is made against the newest checkpoint a witness cosigned, if
// it covers what the proof needs, with the cosignature lines appended (a
// cosigned checkpoint in the C2SP form): the delivery is then attested by
// the witness too. Otherwise it is made against the newest checkpoint,
// with its cosignatures if it has any.
func ProveDelivery(r *auditlog.Reader, msgID, to string) (*Delivery, error) {
	if err := protocol.ValidateMessageID(msgID); err != nil {
		return nil, err
	}
	cp, err := r.Latest()
	if err != nil {
		return nil, fmt.Errorf("newest checkpoint: %w", err)
	}
	if cp == nil {
		return nil, fmt.Errorf("message %s: %w (the log has no checkpoint)", msgID, auditlog.ErrNotCovered)
	}
	cosigned, err := r.LatestCosigned()
	if err != nil {
		return nil, fmt.Errorf("cosigned checkpoint: %w", err)
	}
	if cosigned != nil {
		if cosigned.Checkpoint.Size == cp.Size {
			return proveAt(r, cp, cosigned.Note(), msgID, to)
		}
		if d, err := proveAt(r, cosigned.Checkpoint, cosigned.Note(), msgID, to); err == nil {
			return d, nil
		}
	}
	return proveAt(r, cp, cp.Note, msgID, to)
}

// proveAt makes the proof against checkpoint cp, carried as signed (its
// note, with any cosignature lines).
func proveAt(r *auditlog.Reader, cp *auditlog.Checkpoint, signed []byte, msgID, to string) (*Delivery, error) {
	var err error
	var (
		sent            *Item
		recipients      []string
		delivered, read *Item
		rejected        string
		roster          []byte
		rosterAt        int64 = -1
		receiptsBeyond  bool
	)
	err = r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		switch {
		case rec.Type == auditlog.TypeRoster && rec.Seq < cp.Size:
			roster, rosterAt = append(roster[:0], payload...), rec.Seq
		case rec.MessageID != msgID:
		case rec.Type == auditlog.TypeSent && sent == nil:
			env, _, err := seal.Parse(payload)
			if err != nil {
				return fmt.Errorf("sent record %d: %w", rec.Seq, err)
			}
			recipients = env.Header.To
			if to == "" && len(recipients) == 1 {
				to = recipients[0]
			}
			sent = newItem(rec, payload)
		case rec.Type == auditlog.TypeReceipt && sent != nil:
			rc, err := peekReceipt(payload)
			if err != nil || rc.MessageID != msgID || rc.From != rec.Actor {
				return nil // another agency's receipt, or not one: check-proof would refuse it
			}
			if rc.From != to {
				return nil
			}
			if rec.Seq >= cp.Size {
				receiptsBeyond = true
				return nil
			}
			switch {
			case rc.Kind == protocol.ReceiptDelivered && delivered == nil:
				delivered = newItem(rec, payload)
			case rc.Kind == protocol.ReceiptRead && read == nil:
				read = newItem(rec, payload)
			case rc.Kind == protocol.ReceiptRejected && rejected == "":
				rejected = string(rc.Reason)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sent == nil {
		return nil, fmt.Errorf("message %s: no sent record of it in the log: %w", msgID, auditlog.ErrNotFound)
	}
	if to == "" {
		return nil, fmt.Errorf("message %s went to %s: say which recipient's delivery to prove", msgID, strings.Join(recipients, ", "))
	}
	if !slices.Contains(recipients, to) {
		return nil, fmt.Errorf("message %s was not sent to %s, but to %s", msgID, to, strings.Join(recipients, ", "))
	}
	if sent.Index >= cp.Size {
		return nil, fmt.Errorf("message %s: sent record %d: %w (the newest covers records 0 to %d)", msgID, sent.Index, auditlog.ErrNotCovered, cp.Size-1)
	}
	if delivered == nil {
		switch {
		case rejected != "":
			return nil, fmt.Errorf("message %s was %w to %s: %s rejected it (%s)", msgID, ErrNotDelivered, to, to, rejected)
		case receiptsBeyond:
			return nil, fmt.Errorf("message %s: the delivered receipt from %s: %w (the newest covers records 0 to %d)", msgID, to, auditlog.ErrNotCovered, cp.Size-1)
		}
		return nil, fmt.Errorf("message %s was %w to %s: the log holds no delivered receipt from %s", msgID, ErrNotDelivered, to, to)
	}
	if rosterAt < 0 {
		return nil, fmt.Errorf("no roster record before record %d: the log holds no roster to prove the keys with", cp.Size)
	}
	d := &Delivery{Format: DeliveryFormat, Version: DeliveryVersion, Roster: string(roster), Checkpoint: string(signed), Sent: *sent, Delivered: *delivered, Read: read}
	for _, it := range []*Item{&d.Sent, &d.Delivered, d.Read} {
		if it == nil {
			continue
		}
		if it.Hashes, err = r.ProveRecord(it.Index, cp.Size); err != nil {
			return nil, fmt.Errorf("prove record %d: %w", it.Index, err)
		}
	}
	return d, nil
}

// newItem copies a record and its payload.
func newItem(rec *auditlog.Record, payload []byte) *Item {
	return &Item{Index: rec.Seq, Record: append([]byte(nil), rec.Bytes()...), Payload: append([]byte{}, payload...)}
}

// peekReceipt decodes a receipt's JWS without verifying its signature.
func peekReceipt(signed []byte) (*protocol.Receipt, error) {
	p, err := jws.Parse(signed, protocol.ReceiptJWSType, maxReceiptJWS)
	if err != nil {
		return nil, err
	}
	return protocol.ParseReceipt(p.Payload)
}
