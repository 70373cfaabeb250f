package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// cutFrame cuts a version 2 message as docs/PROTOCOL.md §9 says, without
// this package's decoder: magic, header length, header, signature, age file.
func cutFrame(t *testing.T, raw []byte) (header, sig, ct []byte) {
	t.Helper()
	if !bytes.HasPrefix(raw, []byte{0x00, 'c', 'n', 0x02}) {
		t.Fatalf("no version 2 magic: % x", raw[:4])
	}
	n := int(binary.BigEndian.Uint16(raw[4:6]))
	return raw[6 : 6+n], raw[6+n : 6+n+64], raw[6+n+64:]
}

// rfc7515Verify is an independent RFC 7515 check with nothing but
// crypto/ed25519 and base64url: the JWS signing input of a detached
// payload is BASE64URL(protected) "." BASE64URL(payload).
func rfc7515Verify(pub ed25519.PublicKey, protected, payload, sig []byte) bool {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(protected) + "." + enc.EncodeToString(payload)
	return ed25519.Verify(pub, []byte(input), sig)
}

// cardJWK returns the signing key of a member card as go-jose reads it from
// the card's JSON.
func cardJWK(t *testing.T, c *protocol.MemberCard) *jose.JSONWebKey {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var card struct {
		SigningKey jose.JSONWebKey `json:"signing_key"`
	}
	if err := json.Unmarshal(b, &card); err != nil {
		t.Fatal(err)
	}
	return &card.SigningKey
}

// TestV2SignaturesAreStandardJWS: both signatures of a version 2 message
// are ordinary JWS signatures with detached payloads (RFC 7515, appendix
// F). go-jose, and a hand-rolled check with crypto/ed25519, verify the
// outer one over the raw age file with the key of the sender's card, and
// the inner one over the signed body that age.Decrypt gives a recipient,
// under the protected header rebuilt from the outer kid; the proof Open
// returns is an attached compact JWS go-jose verifies too.
func TestV2SignaturesAreStandardJWS(t *testing.T) {
	for _, kind := range kinds() {
		t.Run(string(kind), func(t *testing.T) {
			net := testNetwork(t, kind).withVersion(protocol.FormatVersion2)
			raw := net.sealTo(t, 0, 1, 2).Raw
			header, sig, ct := cutFrame(t, raw)
			jwk := cardJWK(t, net.cards[0])
			pub := net.cards[0].PublicKey()
			enc := base64.RawURLEncoding

			obj, err := jose.ParseDetached(enc.EncodeToString(header)+".."+enc.EncodeToString(sig), ct, []jose.SignatureAlgorithm{jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			if obj.Signatures[0].Protected.KeyID != jwk.KeyID {
				t.Fatalf("kid %s, card key %s", obj.Signatures[0].Protected.KeyID, jwk.KeyID)
			}
			if _, err := obj.Verify(jwk); err != nil {
				t.Fatalf("go-jose does not verify the outer signature: %v", err)
			}
			if _, err := obj.Verify(cardJWK(t, net.cards[1])); err == nil {
				t.Fatal("go-jose verified the outer signature with another agency's key")
			}
			if !rfc7515Verify(pub, header, ct, sig) {
				t.Fatal("ed25519 does not verify the outer signing input")
			}
			ct2 := bytes.Clone(ct)
			ct2[len(ct2)-1] ^= 1
			if rfc7515Verify(pub, header, ct2, sig) {
				t.Fatal("the outer signature verifies over another ciphertext")
			}

			// A recipient decrypts with age itself.
			r, err := age.Decrypt(bytes.NewReader(ct), net.ids[2].Age)
			if err != nil {
				t.Fatalf("age cannot decrypt the ciphertext: %v", err)
			}
			plain, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			innerSig, body := plain[:64], plain[64:]
			prot := []byte(`{"alg":"EdDSA","kid":"` + net.ids[0].KeyID() + `","typ":"casenode-body+jws"}`)
			if !rfc7515Verify(pub, prot, body, innerSig) {
				t.Fatal("ed25519 does not verify the inner signing input")
			}
			inner, err := jose.ParseDetached(enc.EncodeToString(prot)+".."+enc.EncodeToString(innerSig), body, []jose.SignatureAlgorithm{jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inner.Verify(jwk); err != nil {
				t.Fatalf("go-jose does not verify the inner signature: %v", err)
			}
			var signed protocol.Inner
			if err := json.Unmarshal(body, &signed); err != nil || signed.V != 2 || signed.From != "a00" {
				t.Fatalf("signed body %s: %v", body, err)
			}

			// The proof a recipient shows a third party.
			o, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			proof, err := jose.ParseSignedCompact(string(o.Signed), []jose.SignatureAlgorithm{jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			payload, err := proof.Verify(jwk)
			if err != nil || !bytes.Equal(payload, body) {
				t.Fatalf("the proof does not verify to the signed body: %v", err)
			}
		})
	}
}

// TestV2NoSenderStanza: a version 2 age file has one stanza per recipient
// and none for the sender, whom no age identity but its derived file key
// opens for: the sender's age identity does not decrypt it with age, yet
// Open as the sender does, and after a key rotation with the previous
// identity.
func TestV2NoSenderStanza(t *testing.T) {
	for _, kind := range kinds() {
		t.Run(string(kind), func(t *testing.T) {
			net := testNetwork(t, kind).withVersion(protocol.FormatVersion2)
			s := net.sealTo(t, 0, 1, 2, 3)
			_, _, ct := cutFrame(t, s.Raw)
			if got := bytes.Count(ct[:headerLen(ct)], []byte("\n-> ")); got != 3 {
				t.Fatalf("%d stanzas, want 3 (one per recipient)", got)
			}
			if _, err := age.Decrypt(bytes.NewReader(ct), net.ids[0].Age); err == nil {
				t.Fatal("the sender's age identity decrypts the file: it holds a stanza for the sender")
			}
			o, err := Open(s.Raw, net.ids[0], net.keys(), VerifyOptions{Now: now})
			if err != nil {
				t.Fatalf("the sender cannot open its own message: %v", err)
			}
			if !bytes.Equal(o.Body, compactJSON(t, leadBody())) {
				t.Fatal("the sender's body differs")
			}
			// Another agency's secret does not derive the key.
			if _, err := decryptAsSender(ct, 1<<20, net.ids[4].Age); err == nil {
				t.Fatal("another agency's identity derived the sender's file key")
			}
			// After a rotation the previous identity still opens it.
			rotated, err := identityLike(net.ids[0])
			if err != nil {
				t.Fatal(err)
			}
			rotated.Previous = append(rotated.Previous, net.ids[0])
			if _, err := decryptAsSender(ct, 1<<20, rotated.AgeIdentities()...); err != nil {
				t.Fatalf("the previous identity does not open the sender's message: %v", err)
			}
		})
	}
}
