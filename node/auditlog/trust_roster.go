package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// errNoPin is a roster record before any config record that pins the
// secretariat's key.
var errNoPin = errors.New("no config record before it pins the secretariat's key (secretariat_key of node.json)")

// withConfig returns t with the secretariat key that payload, a node.json,
// pins. A config record that pins none (not a node's configuration) leaves
// t as it is.
func (t *Trust) withConfig(payload []byte) *Trust {
	var cfg struct {
		SecretariatKey *jose.JSONWebKey `json:"secretariat_key"`
	}
	if json.Unmarshal(payload, &cfg) != nil || cfg.SecretariatKey == nil {
		return t
	}
	pub, ok := cfg.SecretariatKey.Key.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return t
	}
	n := t.clone()
	n.pinned = pub
	return n
}

// withRoster returns t with signed, a roster record's payload, as the
// roster in force, as a node takes it: signed by the pinned secretariat
// key, for the log's network, and a successor of the roster in force
// (strictly higher serial: the same serial with other bytes is two rosters
// signed with one serial).
func (t *Trust) withRoster(signed []byte) (*Trust, error) {
	if t.pinned == nil {
		return nil, errNoPin
	}
	if t.roster != nil && bytes.Equal(signed, t.rosterJWS) {
		return t, nil
	}
	want := protocol.KeyID(t.pinned)
	payload, kid, err := jws.Verify(signed, protocol.RosterType, protocol.MaxSignedRosterSize, func(kid string) (ed25519.PublicKey, error) {
		if kid != want {
			return nil, fmt.Errorf("roster signed by key %s, not the pinned secretariat key %s", kid, want)
		}
		return t.pinned, nil
	})
	if err != nil {
		return nil, err
	}
	r, err := protocol.ParseRoster(payload)
	if err != nil {
		return nil, err
	}
	if r.Network != t.network {
		return nil, fmt.Errorf("roster is for network %q, not %q", r.Network, t.network)
	}
	if err := r.CheckSigner(kid); err != nil {
		return nil, err
	}
	if t.roster != nil && r.Serial == t.roster.Serial {
		return nil, fmt.Errorf("another roster with serial %d than the one in force: two rosters signed with one serial", r.Serial)
	}
	if err := r.CheckSuccessor(t.roster); err != nil {
		return nil, err
	}
	n := t.clone()
	n.roster, n.rosterJWS = r, signed
	return n, nil
}
