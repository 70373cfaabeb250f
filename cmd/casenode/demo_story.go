package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// demoMembers is how many members the roster lists: the three agencies
// and the secretariat.
const demoMembers = 4

// setUp creates the hub and the agencies, as the secretariat and the
// agencies would with 'hub init', 'init', 'member add' and 'join', and
// starts every node.
func (d *demo) setUp(ctx context.Context) error {
	d.say("casenode demo: a judicial cooperation network on this machine")
	d.say("")
	d.say("Network %s: a hub, run by the network's secretariat, and three member agencies,", demoNetwork)
	d.say("all fictional, each running its own node, in directories under %s:", d.dir)
	var agencies []localnet.Agency
	for _, a := range demoAgencies() {
		d.say("  %-12s %s, %s", a.id, a.name, a.country)
		agencies = append(agencies, localnet.Agency{ID: a.id, Name: a.name, Country: a.country})
	}
	d.step(1, "The secretariat starts the hub and admits the three agencies")
	net, err := localnet.Create(ctx, d.dir, localnet.Options{Network: demoNetwork, Country: "SN", Kind: d.kind, API: true}, agencies...)
	if err != nil {
		return fmt.Errorf("demo: create the network: %w", err)
	}
	d.net = net
	keys := "a post-quantum hybrid encryption key (ML-KEM-768 + X25519)"
	if d.kind == protocol.KindClassic {
		keys = "a classic encryption key (X25519)"
	}
	d.say("  the hub listens on %s; its directory is %s", net.HubURL(), net.HubDir())
	d.say("  each agency made its keys: an Ed25519 signing key and %s", keys)
	d.say("  the secretariat (%s) signed the roster, the list of members and their", net.SecretariatCard.Agency)
	d.say("  public keys; every node pinned the secretariat's key (kid %s) to verify it", demoCut(net.SecretariatCard.KeyID(), 13))
	for _, a := range demoAgencies() {
		if err := d.startNode(ctx, a.id); err != nil {
			return err
		}
	}
	return nil
}

// startNode starts an agency's node and waits until it is online with the
// roster.
func (d *demo) startNode(ctx context.Context, agency string) error {
	n, err := d.net.Start(ctx, agency)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	if err := d.net.WaitReady(wctx, agency, demoMembers); err != nil {
		return withHint(fmt.Errorf("demo: %w", err), "the machine may be very busy: try again")
	}
	st, err := n.Status(ctx)
	if err != nil {
		return err
	}
	d.say("  %-12s node online in %s; roster serial %d verified, %d members", agency, d.agencyDir(agency), st.Roster.Serial, st.Roster.Members)
	return nil
}

// shareLead: Dakar sends its lead to Accra and Abuja, who read it.
func (d *demo) shareLead(ctx context.Context) error {
	d.step(2, "A case lead: Dakar warns Accra and Abuja of a migrant-smuggling network")
	to := []string{demoAccra, demoAbuja}
	id, err := d.send(ctx, demoDakar, to, protocol.TypeLead, demoLeadCase, demoLead())
	if err != nil {
		return err
	}
	if err := d.follow(ctx, demoDakar, id, to, agency.CopyDelivered); err != nil {
		return err
	}
	for _, a := range to {
		if err := d.open(ctx, a, id); err != nil {
			return err
		}
	}
	return d.follow(ctx, demoDakar, id, to, agency.CopyRead)
}

// requestPreservation: Accra asks Abuja for expedited preservation.
func (d *demo) requestPreservation(ctx context.Context) error {
	d.step(3, "A request for mutual legal assistance: Accra asks Abuja to preserve stored computer data")
	body, err := demoRequest(d.e.now())
	if err != nil {
		return err
	}
	to := []string{demoAbuja}
	id, err := d.send(ctx, demoAccra, to, protocol.TypeRequest, demoMLACase, body)
	if err != nil {
		return err
	}
	d.requestID = id
	if err := d.follow(ctx, demoAccra, id, to, agency.CopyDelivered); err != nil {
		return err
	}
	if err := d.open(ctx, demoAbuja, id); err != nil {
		return err
	}
	return d.follow(ctx, demoAccra, id, to, agency.CopyRead)
}

// answerRequest: Abuja reports the request's progress, then replies.
func (d *demo) answerRequest(ctx context.Context) error {
	d.step(4, "Abuja answers in the same case: status changes, then the reply")
	to := []string{demoAccra}
	statuses := []struct {
		state protocol.State
		note  string
	}{
		{protocol.StateReceived, "Registered under " + demoNGRefText + "."},
		{protocol.StateInExecution, "Applications for preservation orders filed with the Federal High Court, Abuja."},
		{protocol.StateExecuted, "Orders served; the reply follows."},
	}
	for _, s := range statuses {
		id, err := d.send(ctx, demoAbuja, to, protocol.TypeStatus, demoMLACase, demoStatus(d.requestID, s.state, s.note))
		if err != nil {
			return err
		}
		if d.statusID == "" {
			d.statusID = id
		}
		if err := d.follow(ctx, demoAbuja, id, to, agency.CopyDelivered); err != nil {
			return err
		}
	}
	id, err := d.send(ctx, demoAbuja, to, protocol.TypeReply, demoMLACase, demoReply(d.requestID, d.e.now()))
	if err != nil {
		return err
	}
	if err := d.follow(ctx, demoAbuja, id, to, agency.CopyDelivered); err != nil {
		return err
	}
	if err := d.open(ctx, demoAccra, id); err != nil {
		return err
	}
	return d.follow(ctx, demoAbuja, id, to, agency.CopyRead)
}

// publishContacts: every agency publishes its contact card to every
// member.
func (d *demo) publishContacts(ctx context.Context) error {
	d.step(5, "The contact directory: each agency publishes its contact card to every member")
	now := d.e.now()
	for _, a := range demoAgencies() {
		card := demoContactCard(a.id, now)
		res, err := d.net.Node(a.id).PublishContact(ctx, demoActor(a.id), card)
		if err != nil {
			return fmt.Errorf("demo: %s publishes its contact card: %w", a.id, err)
		}
		d.say("  %s publishes its card to %s (casenode contacts publish)", a.id, demoList(res.To))
		d.say("    %s", demoGist(protocol.TypeContact, card))
		if err := d.follow(ctx, a.id, res.ID, res.To, agency.CopyDelivered); err != nil {
			return err
		}
	}
	d.say("  The secretariat (%s) runs the hub, not a node: it gets no contact cards.", d.net.SecretariatCard.Agency)
	d.say("  A node that was down gets everything later.")
	return nil
}

// demoList joins agency ids, sorted.
func demoList(ids []string) string {
	s := slices.Sorted(slices.Values(ids))
	out := ""
	for i, x := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " and "
		default:
			out += ", "
		}
		out += x
	}
	return out
}
