package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The node's state as a peer witness of other members' audit logs
// (docs/AUDIT.md, "Peer witnesses"): the checkpoint of each log it cosigned
// last, and the contradictions it refused. Both buckets are created on the
// first write.
var (
	// bucketPeerWitness: agency → the signed checkpoint of its log this
	// node cosigned last.
	bucketPeerWitness = []byte("witness-peers")
	// bucketPeerAlarms: agency 0x00 kind → PeerWitnessAlarm, the first of
	// each kind.
	bucketPeerAlarms = []byte("witness-peer-alarms")
)

// PeerWitnessed is what this node holds, as a peer witness, of one
// member's log: the signed checkpoint it cosigned last and the time of the
// request that brought it (the requester's signed time), which tells a
// request sent before it and delivered late from a log gone back.
type PeerWitnessed struct {
	Checkpoint []byte    `json:"checkpoint"`
	Requested  time.Time `json:"requested"`
}

// PeerWitnessed returns what this node holds of agency's log as its peer
// witness, or nil.
func (t *Tx) PeerWitnessed(agency string) (*PeerWitnessed, error) {
	b := t.bucket(bucketPeerWitness)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(agency))
	if v == nil {
		return nil, nil
	}
	var w PeerWitnessed
	if err := json.Unmarshal(v, &w); err != nil {
		return nil, fmt.Errorf("witnessed checkpoint of %s: %w", agency, err)
	}
	return &w, nil
}

// SetPeerWitnessed records what this node cosigns of agency's log.
func (t *Tx) SetPeerWitnessed(agency string, w *PeerWitnessed) error {
	b, err := t.createBucket(bucketPeerWitness)
	if err != nil {
		return err
	}
	v, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return b.Put([]byte(agency), v)
}

// PeerWitnessAlarm is a checkpoint this node refused, as a peer witness,
// as evidence against a member's log: with the one it had cosigned, both
// signed by the member's key.
type PeerWitnessAlarm struct {
	Agency    string    `json:"agency"`
	Kind      string    `json:"kind"`
	Detected  time.Time `json:"detected"`
	Cosigned  string    `json:"cosigned"`
	Submitted string    `json:"submitted"`
	Old       int64     `json:"old"`
	Proof     []string  `json:"proof,omitempty"`
}

// AddPeerWitnessAlarm keeps a unless an alarm of its agency and kind is
// kept already; it reports whether it kept it.
func (t *Tx) AddPeerWitnessAlarm(a *PeerWitnessAlarm) (bool, error) {
	b, err := t.createBucket(bucketPeerAlarms)
	if err != nil {
		return false, err
	}
	k := append(append([]byte(a.Agency), 0), a.Kind...)
	if b.Get(k) != nil {
		return false, nil
	}
	v, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	return true, b.Put(k, v)
}

// PeerWitnessAlarms returns the alarms kept, by agency and kind.
func (t *Tx) PeerWitnessAlarms() ([]*PeerWitnessAlarm, error) {
	b := t.bucket(bucketPeerAlarms)
	if b == nil {
		return nil, nil
	}
	var out []*PeerWitnessAlarm
	err := b.ForEach(func(_, v []byte) error {
		var a PeerWitnessAlarm
		dec := json.NewDecoder(bytes.NewReader(v))
		if err := dec.Decode(&a); err != nil {
			return err
		}
		out = append(out, &a)
		return nil
	})
	return out, err
}
