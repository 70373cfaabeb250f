package evidence_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// cosigner makes a witness named name with a new key.
func cosigner(t *testing.T, name string) *witness.Cosigner {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(name, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDeliveryProofCarriesTheWitnessCosignature: a log whose checkpoint a
// witness of the roster cosigned gives a proof whose checkpoint carries the
// cosignature (C2SP form); check-proof verifies it with the roster's
// witness key and names the witness; an altered cosignature, or one by a
// witness the roster does not name, is refused.
func TestDeliveryProofCarriesTheWitnessCosignature(t *testing.T) {
	hubWitness := cosigner(t, "casenode/wacap/witness/hub")
	w := newWorld(t)
	w.witnesses = []string{hubWitness.VerifierKey()}
	w.roster = w.signRoster(w.sec, 3)
	m := w.message()
	path := w.log(sent(m), w.receipt(w.to, m, protocol.ReceiptDelivered, w.t0.Add(time.Second), nil))

	cosign := func(c *witness.Cosigner) {
		t.Helper()
		l, err := auditlog.Open(path, auditlog.Options{Card: w.sender.Card, Key: w.sender.Signing})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		cp := l.LatestCheckpoint()
		text := cp.Note[:strings.Index(string(cp.Note), "\n\n")+1]
		if err := l.AddCosignatures(cp.Size, c.Cosign(text, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	prove := func() *evidence.Delivery {
		t.Helper()
		r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		d, err := evidence.ProveDelivery(r, m.Header.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// Not cosigned yet: the proof rests on the sender's signature.
	res, err := evidence.CheckDelivery(prove(), w.secKey())
	if err != nil || len(res.CosignedBy) != 0 {
		t.Fatalf("uncosigned proof: %+v, %v", res, err)
	}
	cosign(hubWitness)
	d := prove()
	if strings.Count(d.Checkpoint, "\n— ") != 2 || !strings.Contains(d.Checkpoint, "— casenode/wacap/witness/hub ") {
		t.Fatalf("the proof's checkpoint is not the cosigned one:\n%s", d.Checkpoint)
	}
	res, err = evidence.CheckDelivery(d, w.secKey())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CosignedBy) != 1 || res.CosignedBy[0] != "casenode/wacap/witness/hub" || res.CosignedAt[0].IsZero() {
		t.Fatalf("cosigned by %v at %v", res.CosignedBy, res.CosignedAt)
	}

	// An altered cosignature: refused.
	bad := *d
	i := strings.LastIndex(bad.Checkpoint, "— casenode/wacap/witness/hub ") + len("— casenode/wacap/witness/hub ") + 20
	b := []byte(bad.Checkpoint)
	b[i] ^= 'A' ^ 'B'
	if b[i] == d.Checkpoint[i] {
		b[i] ^= 1
	}
	bad.Checkpoint = string(b)
	if _, err := evidence.CheckDelivery(&bad, w.secKey()); err == nil {
		t.Error("a proof with an altered cosignature is accepted")
	}

	// A second witness the roster does not name: its line is refused.
	cosign(cosigner(t, "casenode/wacap/witness/rogue"))
	if _, err := evidence.CheckDelivery(prove(), w.secKey()); err == nil || !strings.Contains(err.Error(), "a key the roster does not give") {
		t.Errorf("a cosignature by a witness outside the roster: %v", err)
	}
}
