package evidence_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
)

func (w *world) secKey() ed25519.PublicKey { return w.sec.Card.PublicKey() }

// TestDeliveryProof proves a delivery and a read, and checks the proof
// alone after an encoding round trip.
func TestDeliveryProof(t *testing.T) {
	w := newWorld(t)
	m := w.message()
	d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, w.t0.Add(time.Second), nil),
		w.receipt(w.to, m, protocol.ReceiptRead, w.t0.Add(time.Minute), nil))
	if err != nil {
		t.Fatal(err)
	}
	data, err := evidence.EncodeDelivery(d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := evidence.DecodeDelivery(data)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := evidence.EncodeDelivery(back); !bytes.Equal(again, data) {
		t.Fatal("decode then encode changed the bytes")
	}
	res, err := evidence.CheckDelivery(back, w.secKey())
	if err != nil {
		t.Fatal(err)
	}
	if res.MessageID != m.Header.ID || res.From != "sn-pj-dakar" || res.To != "gh-ag" || !res.DeliveredAt.Equal(w.t0.Add(time.Second).Truncate(time.Millisecond)) ||
		!res.ReadAt.Equal(w.t0.Add(time.Minute).Truncate(time.Millisecond)) || len(res.Indexes) != 3 || res.Indexes[0] != 3 || res.RosterSerial != 3 ||
		res.SenderKeyID != w.sender.Card.KeyID() || res.RecipientKeyID != w.to.Card.KeyID() {
		t.Fatalf("result %+v", res)
	}
}

// TestDeliveryNotDelivered: no delivered receipt, no proof.
func TestDeliveryNotDelivered(t *testing.T) {
	w := newWorld(t)
	m := w.message()
	if _, err := w.prove(m, sent(m)); !errors.Is(err, evidence.ErrNotDelivered) || !strings.Contains(err.Error(), "the log holds no delivered receipt from gh-ag") {
		t.Fatalf("got %v", err)
	}
	rejected := w.receipt(w.to, m, protocol.ReceiptRejected, w.t0.Add(time.Second), func(r *protocol.Receipt) { r.Reason = protocol.ReasonExpired })
	if _, err := w.prove(m, sent(m), rejected); !errors.Is(err, evidence.ErrNotDelivered) || !strings.Contains(err.Error(), "gh-ag rejected it (expired)") {
		t.Fatalf("got %v", err)
	}
	// A read receipt alone proves no delivery.
	if _, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptRead, w.t0.Add(time.Second), nil)); !errors.Is(err, evidence.ErrNotDelivered) {
		t.Fatalf("got %v", err)
	}
}

// TestDeliveryRefused: what a proof must not get past check.
func TestDeliveryRefused(t *testing.T) {
	w := newWorld(t)
	m := w.message()
	at := w.t0.Add(time.Second)
	for _, c := range []struct {
		name    string
		receipt func() *evidence.Delivery
		part    string
		trust   bool
		msg     string
	}{
		{"receipt by another key", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.intruder, m, protocol.ReceiptDelivered, at, nil))
			must(t, err)
			return d
		}, "delivered", true, "the receipt's key: "},
		{"receipt binds another hash", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, func(r *protocol.Receipt) { r.MessageHash = strings.Repeat("ab", 32) }))
			must(t, err)
			return d
		}, "delivered", false, "the receipt binds SHA-256 abab"},
		{"receipt to another agency", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, func(r *protocol.Receipt) { r.To = "wacap-sec" }))
			must(t, err)
			return d
		}, "delivered", false, "a receipt to wacap-sec"},
		{"receipt dated after it was recorded", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, time.Now().Add(time.Hour), nil))
			must(t, err)
			return d
		}, "delivered", false, "after the sender's log recorded it"},
		{"roster not by the secretariat", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, nil))
			must(t, err)
			d.Roster = string(w.signRoster(w.sender, 3))
			return d
		}, "roster", true, "not by the secretariat's key"},
		{"checkpoint with a signature nobody can check", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, nil))
			must(t, err)
			v, err := auditlog.NewVerifier("casenode/wacap/sn-pj-dakar", w.sender.Card.PublicKey())
			must(t, err)
			n, err := note.Open([]byte(d.Checkpoint), note.VerifierList(v))
			must(t, err)
			skey, _, err := note.GenerateKey(nil, "witness.example")
			must(t, err)
			s, err := note.NewSigner(skey)
			must(t, err)
			signed, err := note.Sign(n, s)
			must(t, err)
			d.Checkpoint = string(signed)
			return d
		}, "checkpoint", true, "a signature by witness.example+"},
		{"checkpoint signature respelled", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, nil))
			must(t, err)
			// The unused bits of the signature's last base64 character:
			// the same bytes, another spelling.
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			i := strings.LastIndex(d.Checkpoint, "=\n") - 1
			d.Checkpoint = d.Checkpoint[:i] + string(alphabet[strings.IndexByte(alphabet, d.Checkpoint[i])^1]) + d.Checkpoint[i+1:]
			return d
		}, "checkpoint", false, "not in canonical base64"},
		{"records swapped", func() *evidence.Delivery {
			d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, nil))
			must(t, err)
			d.Sent, d.Delivered = d.Delivered, d.Sent
			return d
		}, "sent", false, "is a receipt record, not a sent record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := evidence.CheckDelivery(c.receipt(), w.secKey())
			var de *evidence.DeliveryError
			if !errors.As(err, &de) || de.Part != c.part || de.Trust != c.trust || !strings.Contains(de.Msg, c.msg) {
				t.Fatalf("got %#v (%v), want part %s trust %v with %q", de, err, c.part, c.trust, c.msg)
			}
		})
	}
	// The right proof, with another key given for the secretariat.
	d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, at, nil))
	must(t, err)
	if _, err := evidence.CheckDelivery(d, w.sender.Card.PublicKey()); err == nil || !strings.Contains(err.Error(), "roster: ") {
		t.Fatalf("another secretariat key: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// FuzzDecodeDelivery checks that the delivery proof decoder never panics,
// that whatever it accepts encodes back to the same bytes, and that the
// check of what it accepts never panics.
func FuzzDecodeDelivery(f *testing.F) {
	w := newWorld(f)
	m := w.message()
	d, err := w.prove(m, sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, w.t0.Add(time.Second), nil),
		w.receipt(w.to, m, protocol.ReceiptRead, w.t0.Add(time.Minute), nil))
	if err != nil {
		f.Fatal(err)
	}
	valid, err := evidence.EncodeDelivery(d)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(bytes.Clone(valid), ' '))
	f.Add([]byte(`{"format":"casenode-delivery-proof","v":1,"roster":"","checkpoint":"","sent":{"index":0,"record":"","payload":"","hashes":[]},"delivered":{"index":0,"record":"","payload":"","hashes":null}}`))
	f.Add([]byte(`{"v":1,"format":"casenode-delivery-proof"}`))
	key := w.secKey()
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := evidence.DecodeDelivery(data)
		if err != nil {
			return
		}
		again, err := evidence.EncodeDelivery(d)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decode then encode changed the bytes (%v)", err)
		}
		evidence.CheckDelivery(d, key)
	})
}
