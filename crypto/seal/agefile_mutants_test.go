package seal

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

// The tests of this file hold the parts of the version 2 age file that
// mutation testing (make mutants) found unheld.

// TestValidStanzaString: stanza types and arguments are printable ASCII
// without spaces, from '!' (33) to '~' (126), at every position.
func TestValidStanzaString(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"", false},
		{"X25519", true},
		{"!", true},
		{"~", true},
		{"!~", true},
		{" ", false},
		{"ab c", false},
		{"abc\x7f", false},
		{"abc\x1f", false},
		{"abc\xc3\xa9", false},
	} {
		if got := validStanzaString(c.s); got != c.want {
			t.Errorf("validStanzaString(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

// argRecipient wraps the file key in a stanza with one argument, arg.
type argRecipient struct{ arg string }

func (r argRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	return []*age.Stanza{{Type: "casenode-test", Args: []string{r.arg}, Body: fileKey}}, nil
}

// TestEncryptRefusesABadStanzaArgument: a recipient whose stanza would not
// be age's (an argument with a space in it) is refused, not written.
func TestEncryptRefusesABadStanzaArgument(t *testing.T) {
	secret := []byte("AGE-SECRET-KEY-1TEST")
	if _, err := encryptToRecipients(secret, []age.Recipient{argRecipient{"ok"}}, []byte("x")); err != nil {
		t.Fatalf("a valid argument: %v", err)
	}
	_, err := encryptToRecipients(secret, []age.Recipient{argRecipient{"two words"}}, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), `invalid age stanza string "two words"`) {
		t.Fatalf("an argument with a space: %v, want invalid age stanza string", err)
	}
}

// TestDecryptAsSenderCutFile: the sender's decryption of an age file cut
// short refuses what has no header or no whole payload nonce, and reaches
// the payload (failing there) once the nonce is whole.
func TestDecryptAsSenderCutFile(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	me := net.ids[0]
	secret, err := senderSecret(me.Age)
	if err != nil {
		t.Fatal(err)
	}
	r, err := protocol.ParseRecipient(net.cards[1].AgeRecipient)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("the sender reads its own message")
	ct, err := encryptToRecipients(secret, []age.Recipient{r}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decryptAsSender(ct, 100, me.Age); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the whole file: %q, %v", got, err)
	}
	n := headerLen(ct)
	const cut = "no age header and payload nonce"
	for _, c := range []struct {
		name string
		ct   []byte
		cut  bool // refused as cut, before any decryption
	}{
		{"no header, longer than a nonce", bytes.Repeat([]byte("x"), 2*payloadNonceSize), true},
		{"no header, shorter than a nonce", []byte("x"), true},
		{"the header only", ct[:n], true},
		{"the header and a nonce less a byte", ct[:n+payloadNonceSize-1], true},
		{"the header and the nonce, no payload", ct[:n+payloadNonceSize], false},
		{"the header, the nonce and a byte", ct[:n+payloadNonceSize+1], false},
	} {
		_, err := decryptAsSender(c.ct, 100, me.Age)
		if err == nil {
			t.Errorf("%s: decrypted", c.name)
			continue
		}
		if got := err.Error() == cut; got != c.cut {
			t.Errorf("%s: %v; refused as cut: %v, want %v", c.name, err, got, c.cut)
		}
	}
}

// TestOpenV2SignatureOnly: a version 2 signed body of exactly a signature
// and nothing after it is refused as too short, before any signature
// check, even when the signature is the sender's over an empty body.
func TestOpenV2SignatureOnly(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic).withVersion(protocol.FormatVersion2)
	h := net.header(0, 1)
	h.Alg, h.Typ, h.Kid = "EdDSA", protocol.MessageJWSType, net.ids[0].KeyID()
	_, sig, err := jws.SignDetached(net.ids[0].Signing, protocol.BodyJWSType, nil, []byte{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != ed25519.SignatureSize {
		t.Fatalf("signature of %d bytes", len(sig))
	}
	for _, plain := range [][]byte{sig, sig[:ed25519.SignatureSize-1]} {
		raw := resign(t, net.ids[0].Signing, &h, ageEncrypt(t, plain, net.cards[1]))
		_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
		wantReason(t, err, protocol.ReasonBadInnerSignature)
		if !strings.Contains(err.Error(), "too short for a signature and a body") {
			t.Errorf("a signed body of %d bytes: %v, want too short", len(plain), err)
		}
	}
}
