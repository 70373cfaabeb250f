package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// demoActor returns the person who acts at an agency's node.
func demoActor(id string) agency.Actor {
	for _, a := range demoAgencies() {
		if a.id == id {
			return agency.Actor{Via: agency.ViaProcess, Name: a.actor}
		}
	}
	return agency.Actor{Via: agency.ViaProcess, Name: "demo"}
}

// send has from send a message, as 'casenode send' does, and tells what
// travels in clear and what is sealed. It returns the message id.
func (d *demo) send(ctx context.Context, from string, to []string, typ protocol.MessageType, caseID string, body []byte) (string, error) {
	res, err := d.net.Node(from).Send(ctx, demoActor(from), agency.SendRequest{To: to, Type: typ, Case: caseID, Body: body})
	if err != nil {
		return "", fmt.Errorf("demo: %s sends %s: %w", from, typ, err)
	}
	d.say("  %s sends a %s to %s (casenode send)", from, typ, demoList(res.To))
	d.say("    %s", demoGist(typ, body))
	d.tellSealed(from, res, typ, caseID, len(body))
	return res.ID, nil
}

// tellSealed tells what of a message the hub sees, at length the first
// time.
func (d *demo) tellSealed(from string, res *agency.SendResult, typ protocol.MessageType, caseID string, size int) {
	where := ""
	if caseID != "" {
		where = ", case " + caseID
	}
	if d.explained["sealed"] {
		d.say("    message %s%s; the %d-byte body travels sealed", res.ID, where, size)
		return
	}
	d.explained["sealed"] = true
	d.say("    in clear, for the hub to route it:")
	d.say("      id %s, type %s%s,", res.ID, typ, where)
	d.say("      from %s to %s, created %s;", from, demoList(res.To), protocol.NewTime(res.Created))
	d.say("      one copy per recipient, on subjects like %s", protocol.MessageSubject(demoNetwork, from, res.To[0], typ))
	d.say("    sealed: the %d-byte body, signed by %s, encrypted with age for each recipient and for", size, from)
	d.say("      %s itself, then signed again with the clear header: the hub can check who sent it,", from)
	d.say("      but cannot read it")
	d.say("    %s's node wrote it to its audit log and outbox before publishing it; receipts come back:", from)
}

// open has an agency's user open a received message, as 'casenode show'
// does: the node records the access and sends a read receipt.
func (d *demo) open(ctx context.Context, agency, id string) error {
	m, err := d.net.Node(agency).Show(ctx, demoActor(agency), id)
	if err != nil {
		return fmt.Errorf("demo: %s opens %s: %w", agency, id, err)
	}
	signer := m.Header.From
	if s := m.SignedBy; s != nil {
		signer = fmt.Sprintf("%s, key %s", s.Agency, demoCut(s.KeyID, 13))
	}
	d.say("  %s: %s opens it (casenode show): %d bytes sealed, signed by %s", agency, demoActor(agency), m.Size, signer)
	d.explain("opened", "    %s's node verified it on arrival; it records in its audit log who opened it, when,", agency)
	d.explain("opened2", "    and sends a read receipt back")
	return nil
}

// demoGist names a message's content in one line.
func demoGist(typ protocol.MessageType, body []byte) string {
	var v struct {
		Title    string   `json:"title"`
		Kind     string   `json:"kind"`
		Measures []string `json:"measures_requested"`
		State    string   `json:"state"`
		Note     string   `json:"note"`
		Text     string   `json:"text"`
		Contacts []struct {
			Name string `json:"name"`
		} `json:"contacts"`
	}
	if json.Unmarshal(body, &v) != nil {
		return string(typ)
	}
	var s string
	switch typ {
	case protocol.TypeLead:
		s = "«" + v.Title + "»"
	case protocol.TypeRequest:
		s = fmt.Sprintf("%s request, %d measures", v.Kind, len(v.Measures))
		if len(v.Measures) > 0 {
			s += ": «" + demoCut(v.Measures[0], 70) + "»"
		}
	case protocol.TypeStatus:
		s = "state " + v.State
		if v.Note != "" {
			s += ": «" + v.Note + "»"
		}
	case protocol.TypeReply:
		first, _, _ := strings.Cut(v.Text, ". ")
		s = "«" + demoCut(first, 80) + ".»"
	case protocol.TypeContact:
		names := make([]string, len(v.Contacts))
		for i, c := range v.Contacts {
			names[i] = c.Name
		}
		s = "contacts " + strings.Join(names, ", ")
	}
	return s
}

// demoCut cuts s to n characters.
func demoCut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
