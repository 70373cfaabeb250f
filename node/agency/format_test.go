package agency_test

import (
	"context"
	"slices"
	"testing"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestFormatVersionsMix: nodes that sent in format version 1 go on
// receiving and reading after they send version 2, both ways; every
// message shows its body to its recipient and its sender, and both audit
// logs, holding both versions, verify.
func TestFormatVersionsMix(t *testing.T) {
	version := protocol.FormatVersion1
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) { o.FormatVersion = version }}, "sn-pj-dakar", "gh-ag")
	var sent []string
	exchange := func() {
		a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
		out := send(t, a, protocol.TypeLead, "c-1", "gh-ag")
		in := send(t, b, protocol.TypeLead, "c-1", "sn-pj-dakar")
		waitState(t, a, out, agency.CopyDelivered, "gh-ag")
		waitState(t, b, in, agency.CopyDelivered, "sn-pj-dakar")
		sent = append(sent, out, in)
	}
	exchange()
	for _, a := range []string{"sn-pj-dakar", "gh-ag"} {
		w.stopNode(a)
	}
	version = protocol.FormatVersion2
	w.start("sn-pj-dakar")
	w.start("gh-ag")
	exchange()

	versions := map[int]int{}
	for i, id := range sent {
		from, to := "sn-pj-dakar", "gh-ag"
		if i%2 == 1 {
			from, to = to, from
		}
		for _, who := range []string{from, to} {
			m, err := w.node(who).Show(context.Background(), actor, id)
			if err != nil {
				t.Fatalf("%s shows %s: %v", who, id, err)
			}
			if len(m.Body) == 0 {
				t.Fatalf("%s shows %s without its body", who, id)
			}
		}
		raw := findRecord(t, w.audit(from), auditlog.TypeSent, id).Payload
		env, _, err := seal.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		versions[env.Header.V]++
		// The sender opens what it sent from the bytes alone.
		if _, err := seal.Open(raw, w.nodes[from].id, seal.NewCardSet(w.nodes[from].id.Card), seal.VerifyOptions{SkipTime: true}); err != nil {
			t.Fatalf("%s cannot open its own message %s (v%d): %v", from, id, env.Header.V, err)
		}
	}
	if versions[1] != 2 || versions[2] != 2 {
		t.Fatalf("messages by version: %v, want two of each", versions)
	}
	if got := inboxIDs(t, w.node("gh-ag")); !slices.Contains(got, sent[0]) || !slices.Contains(got, sent[2]) {
		t.Fatalf("gh-ag inbox %v", got)
	}
	w.verifyLog("sn-pj-dakar")
	w.verifyLog("gh-ag")
}
