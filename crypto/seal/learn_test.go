package seal

import (
	"testing"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
)

// TestSealerLearn: a Sealer given a recipient already parsed (from the
// roster's validation) seals with it instead of parsing the card's again,
// and the message opens for that recipient.
func TestSealerLearn(t *testing.T) {
	n := testNetwork(t, protocol.KindHybrid)
	card := n.cards[1]
	r, err := protocol.ParseRecipient(card.AgeRecipient)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSealer(n.ids[0])
	s.Learn(map[string]age.Recipient{card.AgeRecipient: r})
	sealed, err := s.Seal([]*protocol.MemberCard{card}, protocol.TypeLead, leadBody(), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.parsed[card.AgeRecipient]; got != r {
		t.Fatalf("the sealer holds %p for the card's recipient, want the one it learned, %p", got, r)
	}
	if len(s.parsed) != 1 {
		t.Fatalf("the sealer holds %d recipients, want 1", len(s.parsed))
	}
	if _, err := Open(sealed.Raw, n.ids[1], n.keys(), VerifyOptions{Now: now}); err != nil {
		t.Fatalf("open: %v", err)
	}
}
