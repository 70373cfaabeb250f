package evidence

import (
	"errors"
	"fmt"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/tlog"
)

// DeliveryFormat names a delivery proof file; it is the file's "format".
const DeliveryFormat = "casenode-delivery-proof"

// DeliveryVersion is the version of the delivery proof format.
const DeliveryVersion = 1

// maxReceiptJWS bounds a receipt's JWS: the receipt in base64url and its
// header and signature.
const maxReceiptJWS = protocol.MaxReceiptSize*4/3 + 1024

// MaxDeliverySize bounds an encoded delivery proof: the sealed message and
// two receipts in base64, with their records and proofs, the signed roster
// and the checkpoint.
const MaxDeliverySize = (protocol.MaxMessageSize+2*maxReceiptJWS)*4/3 + protocol.MaxSignedRosterSize*2 + auditlog.MaxCheckpointSize*2 + 64<<10

// ErrNotDelivered reports a message whose recipient's delivered receipt is
// not in the sender's log.
var ErrNotDelivered = errors.New("not delivered")

// Delivery is the one-file proof that a message was delivered (and perhaps
// read): the sender's sent record, the recipient's signed receipts as the
// sender's log holds them, their RFC 6962 inclusion proofs against one
// signed checkpoint of the sender's log, that checkpoint as the full signed
// note, and the network roster signed by the secretariat, from which the
// sender's and the recipient's keys are taken. It is JSON in canonical
// encoding (EncodeDelivery); every byte of it is checked (CheckDelivery).
type Delivery struct {
	// Format is DeliveryFormat.
	Format string `json:"format"`
	// Version is DeliveryVersion.
	Version int `json:"v"`
	// Roster is the roster in force in the sender's log at the checkpoint,
	// as the secretariat signed it (JWS compact serialization).
	Roster string `json:"roster"`
	// Checkpoint is a signed checkpoint of the sender's log (a C2SP signed
	// note, every signature line included) that covers the records below.
	Checkpoint string `json:"checkpoint"`
	// Sent is the sender's sent record; its payload is the sealed message.
	Sent Item `json:"sent"`
	// Delivered is the record of the recipient's delivered receipt; its
	// payload is the receipt's JWS as received.
	Delivered Item `json:"delivered"`
	// Read is the record of the recipient's read receipt, if the sender's
	// log holds one.
	Read *Item `json:"read,omitempty"`
}

// Item is one record of the sender's log with its payload and inclusion
// proof.
type Item struct {
	// Index is the record's index in the log.
	Index int64 `json:"index"`
	// Record is the exact record bytes (base64 in JSON).
	Record []byte `json:"record"`
	// Payload is the exact payload bytes (base64 in JSON).
	Payload []byte `json:"payload"`
	// Hashes is the RFC 6962 inclusion proof of the record in the tree of
	// the checkpoint (tlog.ProveRecord).
	Hashes []tlog.Hash `json:"hashes"`
}

// EncodeDelivery returns the canonical encoding of d.
func EncodeDelivery(d *Delivery) ([]byte, error) { return protocol.Marshal(d) }

// DecodeDelivery decodes a delivery proof, which must be at most
// MaxDeliverySize bytes in canonical encoding, of this format and version.
// It checks nothing else: CheckDelivery does.
func DecodeDelivery(data []byte) (*Delivery, error) {
	var d Delivery
	if err := protocol.DecodeCanonical("delivery proof", data, MaxDeliverySize, &d); err != nil {
		return nil, err
	}
	if d.Format != DeliveryFormat {
		return nil, fmt.Errorf("delivery proof: format %q, not %q", d.Format, DeliveryFormat)
	}
	if d.Version != DeliveryVersion {
		return nil, fmt.Errorf("delivery proof: version %d (this casenode reads version %d)", d.Version, DeliveryVersion)
	}
	return &d, nil
}
