package seal

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
)

// lengthRecipient wraps the file key in a stanza whose body is n bytes: the
// file key then padding. It exercises the base64 line wrapping of stanza
// bodies (64 columns, the last line shorter and possibly empty).
type lengthRecipient struct{ n int }

func (r lengthRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	body := make([]byte, r.n)
	copy(body, fileKey)
	return []*age.Stanza{{Type: "casenode-test", Args: []string{fmt.Sprint(r.n)}, Body: body}}, nil
}

// lengthIdentity unwraps lengthRecipient's stanzas.
type lengthIdentity struct{}

func (lengthIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	for _, s := range stanzas {
		if s.Type == "casenode-test" && len(s.Body) >= 16 {
			return s.Body[:16], nil
		}
	}
	return nil, age.ErrIncorrectIdentity
}

// TestEncryptIsAge: what encryptToRecipients writes, age.Decrypt reads back
// exactly, for plaintexts around the 64 KiB chunk size, stanza bodies
// around the 48-byte line, both recipient kinds; and the sender derives the
// same file key from the payload nonce.
func TestEncryptIsAge(t *testing.T) {
	secret := []byte("AGE-SECRET-KEY-1TEST")
	for _, kind := range kinds() {
		net := testNetwork(t, kind)
		r, err := protocol.ParseRecipient(net.cards[1].AgeRecipient)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{0, 1, 65, ageChunkSize - 1, ageChunkSize, ageChunkSize + 1, 2*ageChunkSize + 7} {
			plain := make([]byte, size)
			rand.Read(plain)
			ct, err := encryptToRecipients(secret, []age.Recipient{r}, plain)
			if err != nil {
				t.Fatal(err)
			}
			rd, err := age.Decrypt(bytes.NewReader(ct), net.ids[1].Age)
			if err != nil {
				t.Fatalf("%s, %d bytes: age: %v", kind, size, err)
			}
			got, err := io.ReadAll(rd)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%s, %d bytes: age reads back %d bytes, %v", kind, size, len(got), err)
			}
			sameAnswer(t, fmt.Sprintf("%s/%d", kind, size), ct, size+1, net.ids[1].Age)
		}
	}
	for _, n := range []int{16, 47, 48, 49, 95, 96, 97, 200} {
		plain := []byte("casenode")
		ct, err := encryptToRecipients(secret, []age.Recipient{lengthRecipient{n}, lengthRecipient{n + 1}}, plain)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := age.Decrypt(bytes.NewReader(ct), lengthIdentity{})
		if err != nil {
			t.Fatalf("stanza body of %d bytes: age: %v", n, err)
		}
		if got, _ := io.ReadAll(rd); !bytes.Equal(got, plain) {
			t.Fatalf("stanza body of %d bytes: read back %q", n, got)
		}
		// age re-encodes the header it parsed to the same bytes.
		hdr, err := age.ExtractHeader(bytes.NewReader(ct))
		if err != nil || !bytes.Equal(hdr, ct[:headerLen(ct)]) {
			t.Fatalf("stanza body of %d bytes: header not in age's encoding (%v)", n, err)
		}
		// The sender's file key opens it.
		id := age.NewInjectedFileKeyIdentity(mustSenderKey(t, secret, ct))
		if got, err := decrypt(ct, 100, id); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("stanza body of %d bytes: the derived key does not open it: %v", n, err)
		}
	}
}

func mustSenderKey(t *testing.T, secret, ct []byte) []byte {
	t.Helper()
	n := headerLen(ct)
	k, err := senderFileKey(secret, ct[n:n+payloadNonceSize])
	if err != nil {
		t.Fatal(err)
	}
	return k
}
