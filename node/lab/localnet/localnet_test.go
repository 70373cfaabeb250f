package localnet

import (
	"context"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/protocol"
)

// TestExchange builds a two-agency network, sends a lead and waits for it to
// be delivered and receipted: the whole path the demo and bench rely on. The
// nodes serve their local API, as for 'casenode demo --keep'.
func TestExchange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := Create(ctx, t.TempDir(), Options{Network: "wacap", Kind: protocol.KindClassic, API: true},
		Agency{"sn-pj-dakar", "Parquet de Dakar", "SN"}, Agency{"gh-ag-accra", "Attorney-General", "GH"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, a := range []string{"sn-pj-dakar", "gh-ag-accra"} {
		if _, err := n.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := n.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	res, err := n.Node("sn-pj-dakar").Send(ctx, agency.Actor{Via: agency.ViaProcess, Name: "test"}, agency.SendRequest{To: []string{"gh-ag-accra"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the delivered receipt", func() bool {
		items, err := n.Node("sn-pj-dakar").Outbox(ctx, agency.OutboxQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return len(items) == 1 && items[0].ID == res.ID && items[0].Copies["gh-ag-accra"] != nil && items[0].Copies["gh-ag-accra"].State == "delivered"
	})
	in, err := n.Node("gh-ag-accra").Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 1 || in[0].ID != res.ID {
		t.Fatalf("inbox %+v", in)
	}
	c := api.NewUnixClient(n.Node("gh-ag-accra").Config().API.Socket, "test")
	viaAPI, err := c.Inbox(ctx, agency.InboxQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(viaAPI) != 1 || viaAPI[0].ID != res.ID {
		t.Fatalf("inbox through the API %+v", viaAPI)
	}
	if err := n.Stop("gh-ag-accra"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx); err == nil {
		t.Fatal("the API still answers after Stop")
	}
}
