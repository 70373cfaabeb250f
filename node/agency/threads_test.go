package agency_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func TestCaseThreads(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag", "ml-pj-bamako")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	const c = "sn-2025-0042"
	lead := send(t, a, protocol.TypeLead, c, "gh-ag", "ml-pj-bamako")
	request := send(t, a, protocol.TypeRequest, c, "gh-ag")
	other := send(t, a, protocol.TypeLead, "other-case", "gh-ag")
	waitState(t, a, request, agency.CopyDelivered, "gh-ag")
	status := send(t, b, protocol.TypeStatus, c, "sn-pj-dakar")
	reply := send(t, b, protocol.TypeReply, c, "sn-pj-dakar")
	waitState(t, b, reply, agency.CopyDelivered, "sn-pj-dakar")
	waitState(t, b, status, agency.CopyDelivered, "sn-pj-dakar")
	_ = other

	for name, n := range map[string]*agency.Node{"sender": a, "recipient": b} {
		cases, err := n.Cases(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(cases) != 2 || cases[1].Case != c || cases[1].Messages != 4 {
			t.Fatalf("%s: cases = %+v", name, cases)
		}
		th, err := n.Case(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range th.Items {
			ids = append(ids, it.ID)
		}
		if want := []string{lead, request, status, reply}; !slices.Equal(ids, want) {
			t.Errorf("%s: thread %v, want %v", name, ids, want)
		}
		if !slices.Equal(th.Agencies, []string{"gh-ag", "ml-pj-bamako", "sn-pj-dakar"}) {
			t.Errorf("%s: agencies %v", name, th.Agencies)
		}
	}
	th, _ := a.Case(context.Background(), c)
	if it := th.Items[0]; it.Direction != agency.DirectionOut || it.Copies["gh-ag"] == nil || it.Summary == "" {
		t.Errorf("sent item: %+v", it)
	}
	if it := th.Items[3]; it.Direction != agency.DirectionIn || it.Read == nil || *it.Read {
		t.Errorf("received item: %+v", it)
	}
	if _, err := a.Case(context.Background(), "no-such-case"); err == nil {
		t.Error("unknown case found")
	}
}

// contactCard returns the example contact card for agency, updated at t.
func contactCard(t *testing.T, agency, country string, updated time.Time) []byte {
	t.Helper()
	var c protocol.ContactCard
	if err := json.Unmarshal(protocol.Example(protocol.TypeContact), &c); err != nil {
		t.Fatal(err)
	}
	c.Agency, c.Country, c.Updated = agency, country, protocol.NewTime(updated)
	b, err := protocol.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestContacts(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar", "gh-ag", "ml-pj-bamako")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	t0 := time.Now().Add(-time.Hour)
	res, err := a.PublishContact(context.Background(), actor, contactCard(t, "sn-pj-dakar", "SN", t0))
	if err != nil {
		t.Fatal(err)
	}
	// Not to the secretariat, which runs no node: its copy would stay
	// relayed forever.
	if !slices.Equal(res.To, []string{"gh-ag", "ml-pj-bamako"}) {
		t.Errorf("card sent to %v", res.To)
	}
	waitState(t, a, res.ID, agency.CopyDelivered, "gh-ag", "ml-pj-bamako")
	if _, err := b.PublishContact(context.Background(), actor, contactCard(t, "gh-ag", "GH", t0)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "gh-ag's card at ml-pj-bamako", func() bool {
		cs, _ := w.node("ml-pj-bamako").Contacts(context.Background(), agency.ContactQuery{})
		return len(cs) == 2
	})

	// A newer card replaces the older one; an older one is refused.
	newer, err := a.PublishContact(context.Background(), actor, contactCard(t, "sn-pj-dakar", "SN", t0.Add(time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, newer.ID, agency.CopyDelivered, "gh-ag")
	if _, err := a.PublishContact(context.Background(), actor, contactCard(t, "sn-pj-dakar", "SN", t0)); err == nil {
		t.Error("an older card was published")
	}
	if _, err := a.PublishContact(context.Background(), actor, contactCard(t, "gh-ag", "GH", time.Now())); err == nil {
		t.Error("a card of another agency was published")
	}
	cs, err := b.Contacts(context.Background(), agency.ContactQuery{Country: "SN"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Card.Agency != "sn-pj-dakar" || !cs[0].Card.Updated.Equal(t0.Add(time.Minute).Truncate(time.Millisecond)) || cs[0].MessageID != newer.ID {
		t.Fatalf("contacts in SN: %+v", cs)
	}
	role := cs[0].Card.Contacts[0].Role
	cs, _ = b.Contacts(context.Background(), agency.ContactQuery{Role: role})
	for _, c := range cs {
		for _, p := range c.Card.Contacts {
			if p.Role != role {
				t.Errorf("contact with role %s listed for role %s", p.Role, role)
			}
		}
	}
	if len(cs) != 2 {
		t.Errorf("%d cards with role %s, want 2 (its own and sn-pj-dakar's)", len(cs), role)
	}
}

// TestThreadKeepsSendingOrder: a case thread shows one sender's messages in
// the order it sent them, even when they were sealed within one tick of
// the sender's clock (here a coarse one, 50 ms): ordered by creation time
// alone, or by time and a random id, they would not be.
func TestThreadKeepsSendingOrder(t *testing.T) {
	coarse := func() time.Time { return time.Now().Truncate(50 * time.Millisecond) }
	w := newNetwork(t, netOptions{Node: func(o *agency.Options) { o.Now = coarse }}, "sn-pj-dakar", "gh-ag")
	a, b := w.node("sn-pj-dakar"), w.node("gh-ag")
	const c = "sn-2025-0099"
	var sent []string
	for range 30 {
		sent = append(sent, send(t, a, protocol.TypeRequest, c, "gh-ag"))
	}
	for _, id := range sent {
		waitState(t, a, id, agency.CopyDelivered, "gh-ag")
	}
	for name, n := range map[string]*agency.Node{"sender": a, "recipient": b} {
		th, err := n.Case(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range th.Items {
			ids = append(ids, it.ID)
		}
		if !slices.Equal(ids, sent) {
			t.Errorf("%s: thread %v, want the sending order %v", name, ids, sent)
		}
	}
}
