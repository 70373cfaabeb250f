package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// isDeliveryProof tells a delivery proof from a record's proof by its
// first field, as evidence.EncodeDelivery writes it.
func isDeliveryProof(data []byte) bool {
	prefix := `{"format":"` + evidence.DeliveryFormat + `"`
	return len(data) >= len(prefix) && string(data[:len(prefix)]) == prefix
}

// errUndecodable is a delivery proof that does not decode.
var errUndecodable = errors.New("not a delivery proof")

// checkDeliveryBytes decodes a delivery proof file, which ends in one
// newline, and checks it against the secretariat's key.
func checkDeliveryBytes(data []byte, secretariat ed25519.PublicKey) (*evidence.Delivered, error) {
	d, err := evidence.DecodeDelivery(trimNewline(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUndecodable, err)
	}
	return evidence.CheckDelivery(d, secretariat)
}

// checkDeliveryProof checks a delivery proof against the secretariat's
// key of --secretariat and prints what it proves.
func checkDeliveryProof(e *env, data []byte, secretariat string, asJSON bool) error {
	if secretariat == "" {
		return usageErrorf("audit check-proof", "a delivery proof is checked against the network's secretariat: give --secretariat with its member.json or public key")
	}
	jwk, err := loadSecretariatKey(e, secretariat, "")
	if err != nil {
		return err
	}
	pub, ok := jwk.Key.(ed25519.PublicKey)
	if !ok {
		return fmt.Errorf("--secretariat %s is not an Ed25519 public key", secretariat)
	}
	res, err := checkDeliveryBytes(data, pub)
	if errors.Is(err, errUndecodable) {
		return &exitError{code: exitIntegrity, err: withHint(fmt.Errorf("audit check-proof: %w", err), "a delivery proof is the JSON file 'casenode audit prove --delivery' writes, unchanged, byte for byte")}
	}
	var de *evidence.DeliveryError
	if errors.As(err, &de) {
		code := exitIntegrity
		if de.Trust {
			code = exitTrust
		}
		return &exitError{code: code, err: withHint(fmt.Errorf("audit check-proof: the delivery proof does not hold: %w", err),
			"the file is not what 'casenode audit prove --delivery' wrote, or it is signed by keys the network's roster does not trust: keep it as evidence and ask the sender for its audit log")}
	}
	if err != nil {
		return fmt.Errorf("audit check-proof: %w", err)
	}
	statement := fmt.Sprintf("message %s from %s was delivered to %s at %s", res.MessageID, res.From, res.To, protocol.NewTime(res.DeliveredAt))
	if !res.ReadAt.IsZero() {
		statement += fmt.Sprintf(" and read at %s", protocol.NewTime(res.ReadAt))
	}
	if asJSON {
		opt := func(t time.Time) *protocol.Time {
			if t.IsZero() {
				return nil
			}
			v := protocol.NewTime(t)
			return &v
		}
		return printJSON(e, struct {
			OK              bool                 `json:"ok"`
			Statement       string               `json:"statement"`
			MessageID       string               `json:"message_id"`
			Network         string               `json:"network"`
			From            string               `json:"from"`
			To              string               `json:"to"`
			MsgType         protocol.MessageType `json:"msgtype"`
			Case            string               `json:"case,omitempty"`
			MessageHash     string               `json:"message_hash"`
			Sent            protocol.Time        `json:"sent"`
			Delivered       protocol.Time        `json:"delivered"`
			DeliveredStored *protocol.Time       `json:"delivered_stored,omitempty"`
			DeliveredLogged protocol.Time        `json:"delivered_logged"`
			Read            *protocol.Time       `json:"read,omitempty"`
			ReadStored      *protocol.Time       `json:"read_stored,omitempty"`
			ReadLogged      *protocol.Time       `json:"read_logged,omitempty"`
			Records         []int64              `json:"records"`
			CheckpointSize  int64                `json:"checkpoint_size"`
			Root            string               `json:"root"`
			RosterSerial    uint64               `json:"roster_serial"`
			SenderKeyID     string               `json:"sender_kid"`
			RecipientKeyID  string               `json:"recipient_kid"`
			CosignedBy      []string             `json:"cosigned_by"`
		}{true, statement, res.MessageID, res.Network, res.From, res.To, res.MsgType, res.Case, res.MessageHash, protocol.NewTime(res.Sent),
			protocol.NewTime(res.DeliveredAt), opt(res.DeliveredStored), protocol.NewTime(res.DeliveredLogged), opt(res.ReadAt), opt(res.ReadStored), opt(res.ReadLogged), res.Indexes,
			res.Checkpoint.Size, res.Checkpoint.Root.String(), res.RosterSerial, res.SenderKeyID, res.RecipientKeyID, orEmptyStrings(res.CosignedBy)})
	}
	w := e.stdout
	fmt.Fprintf(w, "proof checked: %s\n", statement)
	fmt.Fprintf(w, "message:    %s", res.MsgType)
	if res.Case != "" {
		fmt.Fprintf(w, " in case %s", res.Case)
	}
	fmt.Fprintf(w, ", SHA-256 %s, sent at %s (record %d)\n", res.MessageHash, protocol.NewTime(res.Sent), res.Indexes[0])
	fmt.Fprintf(w, "receipts:   signed by %s with key %s; recorded by %s at %s", res.To, res.RecipientKeyID, res.From, protocol.NewTime(res.DeliveredLogged))
	if !res.ReadLogged.IsZero() {
		fmt.Fprintf(w, " and %s", protocol.NewTime(res.ReadLogged))
	}
	fmt.Fprintln(w)
	if !res.DeliveredStored.IsZero() {
		fmt.Fprintf(w, "hub:        stored the delivered receipt at %s", protocol.NewTime(res.DeliveredStored))
		if !res.ReadStored.IsZero() {
			fmt.Fprintf(w, ", the read receipt at %s", protocol.NewTime(res.ReadStored))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "checkpoint: of the log %s, size %d, root %s, signed with key %s\n", res.Checkpoint.Origin, res.Checkpoint.Size, res.Checkpoint.Root, res.SenderKeyID)
	for i, name := range res.CosignedBy {
		fmt.Fprintf(w, "witness:    %s cosigned the checkpoint at %s\n", name, protocol.NewTime(res.CosignedAt[i]))
	}
	if len(res.CosignedBy) == 0 {
		fmt.Fprintf(w, "witness:    none cosigned this checkpoint (the proof rests on the sender's signature alone)\n")
	}
	fmt.Fprintf(w, "roster:     serial %d, signed by the secretariat's key given\n", res.RosterSerial)
	return nil
}

// orEmptyStrings gives JSON [] rather than null.
func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
