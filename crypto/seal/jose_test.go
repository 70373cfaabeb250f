package seal

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// TestOuterSignatureIsPlainJWS: in version 1, a relay with nothing but a conforming JWS
// library and the sender's public JWK, taken from its member card as JSON,
// verifies the outer signature without decrypting anything.
func TestOuterSignatureIsPlainJWS(t *testing.T) {
	net := testNetwork(t, protocol.KindHybrid).withVersion(protocol.FormatVersion1)
	raw := net.sealTo(t, 0, 1, 2).Raw
	cardJSON, err := json.Marshal(net.cards[0])
	if err != nil {
		t.Fatal(err)
	}
	var card struct {
		SigningKey jose.JSONWebKey `json:"signing_key"`
	}
	if err := json.Unmarshal(cardJSON, &card); err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseSignedCompact(string(raw), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if kid := obj.Signatures[0].Protected.KeyID; kid != card.SigningKey.KeyID {
		t.Fatalf("kid %s, card key %s", kid, card.SigningKey.KeyID)
	}
	payload, err := obj.Verify(&card.SigningKey)
	if err != nil {
		t.Fatalf("go-jose does not verify the outer JWS with the card's key: %v", err)
	}
	if !bytes.HasPrefix(payload, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("payload is not an age file: %.40q", payload)
	}
	// And not with another agency's key.
	if _, err := obj.Verify(&net.cards[1].SigningKey); err == nil {
		t.Fatal("verified with another agency's key")
	}
}
