package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestProveRefusesTheUncoveredTail asks for the proof of records that a
// forger appended without the agency's key, so that no signed checkpoint
// covers them: each is refused as not covered (ErrNotCovered), not handed
// to the inclusion proof, for the first of them (the newest checkpoint's
// size exactly) as for the next.
func TestProveRefusesTheUncoveredTail(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 10, 0)
	good, err := verify(t, path, VerifyOptions{Card: a.card})
	if err != nil {
		t.Fatal(err)
	}
	n := good.Records
	forgeAppend(t, path, Entry{Type: TypeAccess, Actor: "prosecutor awa", Payload: []byte(`{"action":"read"}`)})
	forgeAppend(t, path, Entry{Type: TypeAccess, Actor: "prosecutor awa", Payload: []byte(`{"action":"export"}`)})

	r := openReader(t, path)
	for _, i := range []int64{n, n + 1} {
		want := fmt.Sprintf("(the newest covers records 0 to %d)", n-1)
		if p, err := r.Prove(i); !errors.Is(err, ErrNotCovered) || !strings.Contains(err.Error(), want) {
			t.Errorf("proof of forged record %d: %v, %v; want ErrNotCovered saying %q", i, p, err, want)
		}
	}
	if _, err := r.Prove(n - 1); err != nil {
		t.Errorf("the last covered record, %d: %v", n-1, err)
	}
}

// TestProveCarriesTheCardInForceAtTheCheckpoint forges, after the last
// signed checkpoint, a key record with a new own card and points the log's
// own-card index at it, as a forger writing to the file without the
// agency's key would to present a key of his own: a proof against the
// newest checkpoint still carries the card that signed it, found by
// scanning back from the checkpoint, and checks alone.
func TestProveCarriesTheCardInForceAtTheCheckpoint(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 10, 0)
	good, err := verify(t, path, VerifyOptions{Card: a.card})
	if err != nil {
		t.Fatal(err)
	}
	n := good.Records
	forger := newAgency(t, "wacap", "sn-pj-dakar")
	forgeAppend(t, path, Entry{Type: TypeKey, Actor: "sn-pj-dakar", Payload: forger.cardJSON(t)})
	tamper(t, path, func(b *buckets) error { return b.meta.Put([]byte(metaOwnCard), itob(n)) })

	r := openReader(t, path)
	p, err := r.Prove(3)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Card, a.cardJSON(t)) {
		t.Fatalf("the proof carries another card than the one that signed the checkpoint of size %d (the forger's: %v)", n, bytes.Equal(p.Card, forger.cardJSON(t)))
	}
	if cp, rec, err := CheckProof(p, nil); err != nil || cp.Size != n || rec.Seq != 3 {
		t.Fatalf("the proof alone: %v (checkpoint %v, record %v)", err, cp, rec)
	}
}
