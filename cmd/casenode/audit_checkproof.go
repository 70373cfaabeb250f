package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

func runAuditCheckProof(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit check-proof", "")
	proofPath := fs.String("proof", "", "the proof file from 'casenode audit prove'; - is standard input (required)")
	cardPath := fs.String("card", "", "the agency's member card as you know it; without it the card inside the proof is trusted")
	secretariat := fs.String("secretariat", "", "for a delivery proof: the network secretariat's member.json or public signing key (JWK), which the proof's roster must be signed with")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), `
A record's proof ('audit prove --index') is checked against --card; a
delivery proof ('audit prove --delivery') against --secretariat, and says
"message M from A was delivered to B at T and read at T2". Exit codes: 3 the
proof does not hold; 6 something in it is signed by a key not trusted for it.
`)
	}
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *proofPath == "" {
		return usageErrorf("audit check-proof", "--proof is required")
	}
	card, err := loadAuditCard(*cardPath)
	if err != nil {
		return err
	}
	data, err := readInput(e, *proofPath, "proof", max(auditlog.MaxProofSize, evidence.MaxDeliverySize)+1)
	if err != nil {
		return err
	}
	if *secretariat != "" || isDeliveryProof(data) {
		if card != nil {
			return usageErrorf("audit check-proof", "a delivery proof takes its keys from the roster: give --secretariat, not --card")
		}
		return checkDeliveryProof(e, data, *secretariat, *asJSON)
	}
	p, err := auditlog.DecodeProof(trimNewline(data))
	if err != nil {
		return &exitError{code: exitIntegrity, err: withHint(fmt.Errorf("audit check-proof: %w", err), "a proof is the JSON file 'casenode audit prove' writes, unchanged")}
	}
	cp, rec, err := auditlog.CheckProof(p, card)
	if err != nil {
		return auditFailure("audit check-proof", err)
	}
	att := provenAttachment(rec, p.Payload)
	if *asJSON {
		res := struct {
			OK             bool          `json:"ok"`
			Index          int64         `json:"index"`
			Origin         string        `json:"origin"`
			Type           string        `json:"type"`
			Time           protocol.Time `json:"time"`
			Actor          string        `json:"actor"`
			MessageID      string        `json:"message_id,omitempty"`
			PayloadSize    int64         `json:"payload_size"`
			CheckpointSize int64         `json:"checkpoint_size"`
			Root           string        `json:"root"`
			CardGiven      bool          `json:"card_given"`
			CardKeyID      string        `json:"card_kid,omitempty"`
			// Attachment is the attachment a record of one received or
			// refused names, with its digests.
			Attachment *attachmentProved `json:"attachment,omitempty"`
		}{OK: true, Index: rec.Seq, Origin: cp.Origin, Type: rec.Type.String(), Time: protocol.NewTime(rec.Time), Actor: rec.Actor,
			MessageID: rec.MessageID, PayloadSize: rec.PayloadSize, CheckpointSize: cp.Size, Root: cp.Root.String(), CardGiven: card != nil, Attachment: att}
		if card != nil {
			res.CardKeyID = card.KeyID()
		}
		return printJSON(e, res)
	}
	fmt.Fprintf(e.stdout, "proof checked: record %d is in the audit log %s\n", rec.Seq, cp.Origin)
	fmt.Fprintf(e.stdout, "record:     %s at %s by %s", rec.Type, protocol.NewTime(rec.Time), rec.Actor)
	if rec.MessageID != "" {
		fmt.Fprintf(e.stdout, ", message %s", rec.MessageID)
	}
	fmt.Fprintf(e.stdout, ", payload %d bytes\n", rec.PayloadSize)
	if att != nil {
		fmt.Fprintf(e.stdout, "attachment: %s %q, SHA-256 %s, ciphertext SHA-256 %s\n", att.Action, att.Name, att.SHA256, att.CipherSHA256)
	}
	fmt.Fprintf(e.stdout, "checkpoint: size %d, root %s\n", cp.Size, cp.Root)
	if card != nil {
		fmt.Fprintf(e.stdout, "signed by:  the key of the member card given (kid %s)\n", card.KeyID())
	} else {
		fmt.Fprintf(e.stdout, "signed by:  the key of the card inside the proof; pass --card to check it against the card you know\n")
	}
	return nil
}

// trimNewline removes the one newline that ends a proof file.
func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// attachmentProved is what a proven record says of an attachment.
type attachmentProved struct {
	Action       string `json:"action"`
	Name         string `json:"name"`
	SHA256       string `json:"sha256"`
	CipherSHA256 string `json:"cipher_sha256"`
}

// provenAttachment returns the attachment a proven access record names
// (an attachment received or refused) with its digests, or nil.
func provenAttachment(rec *auditlog.Record, payload []byte) *attachmentProved {
	if rec.Type != auditlog.TypeAccess {
		return nil
	}
	a := auditlog.Describe(rec, payload).Access
	if a == nil || a.Name == "" || a.SHA256 == "" {
		return nil
	}
	return &attachmentProved{Action: a.Action, Name: a.Name, SHA256: a.SHA256, CipherSHA256: a.CipherSHA256}
}
