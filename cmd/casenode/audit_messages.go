package main

import (
	"fmt"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// The log's trust at each point is the set of keys seal checks messages
// against.
var _ seal.Keys = (*auditlog.Trust)(nil)

// maxReceiptJWS bounds a signed receipt: the base64url of a receipt of
// protocol.MaxReceiptSize, a protected header and a signature.
const maxReceiptJWS = protocol.MaxReceiptSize*4/3 + 1024

// checkMessage is the message check of audit verify: the signatures of a
// stored message or receipt against the member cards the log trusted at
// that point, and that they agree with the record. It never decrypts.
// Roster records are not checked yet: the secretariat's key is not in the
// log.
func checkMessage(rec *auditlog.Record, payload []byte, trust *auditlog.Trust) error {
	switch rec.Type {
	case auditlog.TypeSent, auditlog.TypeReceived:
		env, err := seal.Verify(payload, trust, seal.VerifyOptions{Network: trust.Network(), SkipTime: true})
		if err != nil {
			return err
		}
		h := env.Header
		if rec.MessageID != "" && h.ID != rec.MessageID {
			return fmt.Errorf("the message's id is %s, the record's %s", h.ID, rec.MessageID)
		}
		own := trust.Own().Agency
		if rec.Type == auditlog.TypeSent && h.From != own {
			return fmt.Errorf("a message the node sent is from %s, not from %s", h.From, own)
		}
		if rec.Type == auditlog.TypeReceived {
			if h.From != rec.Actor {
				return fmt.Errorf("the message is from %s, the record says from %s", h.From, rec.Actor)
			}
			if !contains(h.To, own) {
				return fmt.Errorf("a message the node received is addressed to %v, not to %s", h.To, own)
			}
		}
	case auditlog.TypeReceipt:
		p, err := jws.Parse(payload, protocol.ReceiptJWSType, maxReceiptJWS)
		if err != nil {
			return fmt.Errorf("receipt: %w", err)
		}
		r, err := protocol.ParseReceipt(p.Payload)
		if err != nil {
			return err
		}
		pub, err := trust.SigningKey(r.From, p.KeyID)
		if err != nil {
			return fmt.Errorf("receipt: %w", err)
		}
		if err := p.Verify(pub); err != nil {
			return fmt.Errorf("receipt from %s: %w", r.From, err)
		}
		if r.From != rec.Actor {
			return fmt.Errorf("the receipt is from %s, the record says from %s", r.From, rec.Actor)
		}
		if rec.MessageID != "" && r.MessageID != rec.MessageID {
			return fmt.Errorf("the receipt is about message %s, the record about %s", r.MessageID, rec.MessageID)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
