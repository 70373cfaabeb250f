package auditlog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SentPayload returns a copy of the payload of record seq of the log in
// tx, a transaction of the node's file, when that record is the sent record
// of message messageID and its payload's SHA-256 is hash (lowercase hex):
// the sealed message, which the node's outbox names by its record rather
// than keeping a copy (AppendWithFirst). Any other record, or none, is an
// error wrapping ErrNotFound: in a log started over (Restart) the number
// names another record.
func SentPayload(tx *bolt.Tx, seq int64, messageID, hash string) ([]byte, error) {
	records, payloads := tx.Bucket([]byte(bucketRecords)), tx.Bucket([]byte(bucketPayloads))
	if records == nil || payloads == nil || seq < 0 {
		return nil, fmt.Errorf("sent record %d of message %s: %w", seq, messageID, ErrNotFound)
	}
	v := records.Get(itob(seq))
	if v == nil {
		return nil, fmt.Errorf("sent record %d of message %s: %w", seq, messageID, ErrNotFound)
	}
	rec, err := DecodeRecord(v)
	if err != nil {
		return nil, fmt.Errorf("sent record %d of message %s: %w", seq, messageID, err)
	}
	p := payloads.Get(itob(seq))
	sum := sha256.Sum256(p)
	if rec.Type != TypeSent || rec.MessageID != messageID || p == nil || hex.EncodeToString(sum[:]) != hash {
		return nil, fmt.Errorf("record %d is not the sent record of message %s: %w", seq, messageID, ErrNotFound)
	}
	return append([]byte(nil), p...), nil
}

// SentPayload is the package's SentPayload in a read transaction of the
// log's file.
func (l *Log) SentPayload(seq int64, messageID, hash string) (p []byte, err error) {
	err = l.db.View(func(tx *bolt.Tx) error {
		p, err = SentPayload(tx, seq, messageID, hash)
		return err
	})
	return p, err
}
