package auditlog

import (
	"slices"
	"testing"
)

// TestDescribe: each record of a varied log decodes to its kind's fields,
// and a payload that does not decode says why.
func TestDescribe(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 10, 5)
	r := openReader(t, path)
	seen := map[Type]int{}
	err := r.Iterate(0, func(rec *Record, payload []byte) error {
		ev := Describe(rec, payload)
		seen[rec.Type]++
		ok := false
		switch rec.Type {
		case TypeKey:
			ok = ev.Card != nil && ev.Unreadable == "" && ev.Involves(ev.Card.Agency)
		case TypeSent, TypeReceived:
			// The test stream's messages are not sealed.
			ok = ev.Message == nil && ev.Unreadable != "" && ev.Case() == ""
		case TypeRejected:
			ok = ev.Rejection != nil && ev.Rejection.Reason == "bad-signature" && ev.Involves(peer.card.Agency)
		case TypeAccess:
			ok = ev.Access != nil && ev.Access.Action == "read"
		case TypeCheckpoint:
			ok = ev.Checkpoint != nil && ev.Checkpoint.Size == rec.Seq
		case TypeConfig:
			ok = ev.Unreadable == "" && slices.Equal(ev.Agencies(), []string{rec.Actor})
		}
		if !ok {
			t.Errorf("record %d (%s): %+v", rec.Seq, rec.Type, ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range []Type{TypeKey, TypeSent, TypeReceived, TypeRejected, TypeAccess, TypeConfig} {
		if seen[ty] == 0 {
			t.Errorf("the test log has no %s record", ty)
		}
	}
}

// FuzzDescribe: any payload of any record type decodes or says why,
// without panicking, and the record's actor is always among its agencies.
func FuzzDescribe(f *testing.F) {
	for _, ty := range Types() {
		f.Add(uint8(ty), []byte(`{"action":"read"}`))
	}
	f.Add(uint8(TypeRejected), NewRejection("bad-signature", "x", []byte("raw")).Encode())
	f.Fuzz(func(t *testing.T, ty uint8, payload []byte) {
		rec := &Record{Type: Type(ty), Actor: "sn-pj-dakar"}
		ev := Describe(rec, payload)
		if !ev.Involves("sn-pj-dakar") {
			t.Fatalf("the actor is not among the agencies: %v", ev.Agencies())
		}
		decoded := ev.Message != nil || ev.Receipt != nil || ev.Rejection != nil || ev.Roster != nil || ev.Card != nil || ev.Checkpoint != nil || ev.Restart != nil
		if decoded && ev.Unreadable != "" {
			t.Fatalf("decoded and unreadable: %s", ev.Unreadable)
		}
	})
}
