package witness

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

// ResetHeader is the header of the hub witness's answer that cosigns the
// first checkpoint of a log after the secretariat reset the witness's state
// of it: the secretariat's signed order (protocol.WitnessReset), so that
// the node can check it and clear its own witness alarm. Anything else the
// hub says goes unheeded: a node acts on the order's signature alone.
const ResetHeader = "Casenode-Witness-Reset"

// SignReset signs a witness reset order with the secretariat's key.
func SignReset(key ed25519.PrivateKey, r *protocol.WitnessReset) ([]byte, error) {
	payload, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	return jws.Sign(key, protocol.WitnessResetType, nil, payload)
}

// VerifyReset checks a signed witness reset order against the
// secretariat's key in roster r, its network and its agency (a member of
// r), and returns it with the id of the key that signed it.
func VerifyReset(compact []byte, r *protocol.Roster) (*protocol.WitnessReset, string, error) {
	sec := r.Member(r.Secretariat)
	if sec == nil {
		return nil, "", errors.New("the roster names no secretariat card")
	}
	want := sec.Card.KeyID()
	payload, kid, err := jws.Verify(compact, protocol.WitnessResetType, protocol.MaxSignedWitnessResetSize, func(kid string) (ed25519.PublicKey, error) {
		if kid != want {
			return nil, fmt.Errorf("the order is signed by key %s, not by the secretariat's key %s", kid, want)
		}
		return sec.Card.PublicKey(), nil
	})
	if err != nil {
		return nil, kid, fmt.Errorf("witness reset order: %w", err)
	}
	o, err := protocol.ParseWitnessReset(payload)
	if err != nil {
		return nil, kid, err
	}
	if o.Network != r.Network {
		return nil, kid, fmt.Errorf("witness reset order: for network %q, not %q", o.Network, r.Network)
	}
	if r.Member(o.Agency) == nil {
		return nil, kid, fmt.Errorf("witness reset order: agency %q is not in the roster", o.Agency)
	}
	return o, kid, nil
}
