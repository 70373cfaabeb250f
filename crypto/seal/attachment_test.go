package seal

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

// encryptAttachment encrypts data from agency from to the agencies to.
func encryptAttachment(t *testing.T, n *network, data []byte, id string, from int, to ...int) ([]byte, protocol.Attachment) {
	t.Helper()
	var cards []*protocol.MemberCard
	for _, i := range to {
		cards = append(cards, n.cards[i])
	}
	var ct bytes.Buffer
	w, err := NewSealer(n.ids[from]).EncryptAttachment(&ct, cards)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return ct.Bytes(), w.Manifest(n.ids[from].Agency(), id, 0, "evidence.bin", "application/octet-stream")
}

func TestAttachmentStreamsToRecipientsAndSender(t *testing.T) {
	for _, kind := range []protocol.RecipientKind{protocol.KindClassic, protocol.KindHybrid} {
		n := testNetwork(t, kind)
		data := make([]byte, 200<<10+17)
		rand.Read(data)
		id := protocol.NewMessageID(now)
		ct, m := encryptAttachment(t, n, data, id, 0, 1, 2)
		sum := sha256.Sum256(data)
		csum := sha256.Sum256(ct)
		if m.Size != int64(len(data)) || m.SHA256 != hex.EncodeToString(sum[:]) || m.CipherSize != int64(len(ct)) || m.CipherSHA256 != hex.EncodeToString(csum[:]) {
			t.Fatalf("%s: manifest %+v does not describe the file", kind, m)
		}
		if err := protocol.ValidateAttachments(n.ids[0].Agency(), id, []protocol.Attachment{m}); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		for _, who := range []int{0, 1, 2} {
			r, err := DecryptAttachment(bytes.NewReader(ct), n.ids[who])
			if err != nil {
				t.Fatalf("%s: agency %d: %v", kind, who, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: agency %d read other bytes (%v)", kind, who, err)
			}
		}
		if _, err := DecryptAttachment(bytes.NewReader(ct), n.ids[3]); err == nil {
			t.Fatalf("%s: a non-recipient decrypted the attachment", kind)
		}
		// One flipped byte in the payload fails when its chunk is read.
		bad := bytes.Clone(ct)
		bad[len(bad)-100] ^= 1
		r, err := DecryptAttachment(bytes.NewReader(bad), n.ids[1])
		if err == nil {
			_, err = io.ReadAll(r)
		}
		if err == nil {
			t.Fatalf("%s: a damaged attachment decrypted", kind)
		}
	}
}

func TestSealBindsTheManifest(t *testing.T) {
	n := testNetwork(t, protocol.KindClassic)
	id := protocol.NewMessageID(now)
	_, m := encryptAttachment(t, n, []byte("a court order"), id, 0, 1)
	s, err := NewSealer(n.ids[0]).Seal(n.cards[1:2], protocol.TypeLead, leadBody(), Options{Now: now, ID: id, Attachments: []protocol.Attachment{m}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Open(s.Raw, n.ids[1], n.keys(), VerifyOptions{Network: "wacap", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Attachments) != 1 || o.Attachments[0] != m {
		t.Fatalf("opened manifests %+v, want %+v", o.Attachments, m)
	}
	// The same manifest in another message is refused when sealing.
	if _, err := NewSealer(n.ids[0]).Seal(n.cards[1:2], protocol.TypeLead, leadBody(), Options{Now: now, Attachments: []protocol.Attachment{m}}); err == nil || !strings.Contains(err.Error(), "attachments[0].object") {
		t.Fatalf("sealing a copied manifest: %v", err)
	}
}

// TestOpenRefusesASwappedManifest seals by hand, past Seal's own check, a
// message carrying the manifest of another message: the receiver refuses
// it.
func TestOpenRefusesASwappedManifest(t *testing.T) {
	for _, v := range versions() {
		n := testNetwork(t, protocol.KindClassic).withVersion(v)
		other := protocol.NewMessageID(now)
		_, m := encryptAttachment(t, n, []byte("a bank statement"), other, 0, 1)
		h := n.header(0, 1)
		h.Alg, h.Kid, h.Typ = "EdDSA", n.ids[0].KeyID(), protocol.MessageJWSType
		inner, err := protocol.Marshal(&protocol.Inner{Attachments: []protocol.Attachment{m}, Body: compactJSON(t, leadBody()), Case: h.Case, Created: h.Created,
			From: h.From, ID: h.ID, MsgType: h.MsgType, Net: h.Net, To: h.To, V: h.V})
		if err != nil {
			t.Fatal(err)
		}
		s := NewSealer(n.ids[0])
		var raw []byte
		if v == protocol.FormatVersion1 {
			raw, err = s.sealV1(&h, []*protocol.MemberCard{n.cards[1]}, inner)
		} else {
			raw, err = s.sealV2(&h, []*protocol.MemberCard{n.cards[1]}, inner)
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(raw, n.ids[1], n.keys(), VerifyOptions{Network: "wacap", Now: now})
		wantReason(t, err, protocol.ReasonInvalidBody)
		if !strings.Contains(err.Error(), "attachments[0].object") || !strings.Contains(err.Error(), h.ID) {
			t.Fatalf("v%d: %v does not name the manifest's object and the message", v, err)
		}
	}
}

func TestBundleHeadRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteBundleHead(&b, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	b.WriteString("rest")
	raw, err := ReadBundleHead(&b)
	if err != nil || string(raw) != "sealed" || b.String() != "rest" {
		t.Fatalf("%q %v, left %q", raw, err, b.String())
	}
	for _, bad := range []string{"", "CASENODE-BUNDLE1", "CASENODE-BUNDLE2\x00\x00\x00\x01x", "CASENODE-BUNDLE1\x00\x00\x00\x00", "CASENODE-BUNDLE1\xff\xff\xff\xffx", "CASENODE-BUNDLE1\x00\x00\x00\x05abc"} {
		if _, err := ReadBundleHead(strings.NewReader(bad)); err == nil {
			t.Errorf("%q read as a bundle head", bad)
		}
	}
}

func FuzzReadBundleHead(f *testing.F) {
	var b bytes.Buffer
	WriteBundleHead(&b, []byte("sealed message"))
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, err := ReadBundleHead(bytes.NewReader(data))
		if err != nil {
			return
		}
		var again bytes.Buffer
		if err := WriteBundleHead(&again, raw); err != nil || !bytes.HasPrefix(data, again.Bytes()) {
			t.Fatalf("read %q from %q", raw, data)
		}
	})
}

func TestAttachmentCipherSizeIsKnownBeforeWriting(t *testing.T) {
	for _, kind := range []protocol.RecipientKind{protocol.KindClassic, protocol.KindHybrid} {
		n := testNetwork(t, kind)
		for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 128 << 10, 300<<10 + 5} {
			var ct bytes.Buffer
			w, err := NewSealer(n.ids[0]).EncryptAttachment(&ct, []*protocol.MemberCard{n.cards[1]})
			if err != nil {
				t.Fatal(err)
			}
			want := w.CipherSize(int64(size))
			if _, err := w.Write(make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if int64(ct.Len()) != want {
				t.Fatalf("%s, %d bytes: predicted %d, got %d", kind, size, want, ct.Len())
			}
		}
	}
}
