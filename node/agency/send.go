package agency

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// SendRequest is a case message to send.
type SendRequest struct {
	// To lists the recipient agencies: active members of the roster.
	To []string `json:"to"`
	// Type is case.lead, case.request, case.reply or case.status.
	Type protocol.MessageType `json:"type"`
	// Case is the case (thread) id, or empty.
	Case string `json:"case,omitempty"`
	// Body is the message body, valid for Type.
	Body json.RawMessage `json:"body"`
	// Expires, if set, is when recipients stop accepting the message.
	Expires *time.Time `json:"expires,omitempty"`
	// Attach lists files to send with it, encrypted like it; the message
	// is published once they are all at the hub.
	Attach []AttachFile `json:"attach,omitempty"`
}

// SendResult says what Send recorded.
type SendResult struct {
	// ID is the message id.
	ID string `json:"id"`
	// To lists the recipients, sorted.
	To []string `json:"to"`
	// Created is the message's creation time.
	Created time.Time `json:"created"`
}

// sendableTypes are the message types Send takes, as errors list them.
const sendableTypes = "case.lead, case.request, case.reply, case.status"

// Send seals a case message to its recipients with their cards from the
// roster in force, records it in the audit log and the outbox, and queues
// one copy per recipient for publication. When Send returns, the message
// is durable: it flows to the hub now or when the hub is reachable again.
// actor is who sends it. If ctx ends while the message is
// being recorded, it may still be recorded and sent.
func (n *Node) Send(ctx context.Context, actor Actor, req SendRequest) (*SendResult, error) {
	switch req.Type {
	case protocol.TypeLead, protocol.TypeRequest, protocol.TypeReply, protocol.TypeStatus:
	case protocol.TypeContact:
		return nil, invalid("run 'casenode contacts publish --in CARD.json' instead", "a contact card is not sent to chosen agencies: it is published to every member")
	case protocol.TypeReceipt:
		return nil, invalid("the node sends receipts itself", "receipts are not sent by hand")
	default:
		return nil, invalid("--type is one of "+sendableTypes, "unknown message type %q: the types sent with 'casenode send' are %s", req.Type, sendableTypes)
	}
	return n.send(ctx, actor, req)
}

// send is Send for any type but receipts.
func (n *Node) send(ctx context.Context, actor Actor, req SendRequest) (*SendResult, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	if a := n.writes.status(); a != nil {
		return nil, notReady("free space on the disk of "+n.dir+": the node resumes by itself",
			"the disk is full since %s: the node cannot record a message (%s)", protocol.NewTime(a.Since), a.Error)
	}
	if req.Case != "" {
		if err := protocol.ValidateCaseID(req.Case); err != nil {
			return nil, invalid("a case id is "+protocol.CaseIDRule, "%v", err)
		}
	}
	body, err := compact(req.Body)
	if err != nil {
		return nil, invalid(fmt.Sprintf("run 'casenode example %s' for a valid body", req.Type), "%s body: %v", req.Type, err)
	}
	cards, err := n.recipients(req.To)
	if err != nil {
		// A bad body is the first thing to fix. Seal checks it too, so
		// only a request that fails here pays for checking it twice.
		if verr := protocol.ValidateBody(req.Type, body); verr != nil {
			return nil, invalid(fmt.Sprintf("run 'casenode example %s' for a valid body", req.Type), "%v", verr)
		}
		return nil, err
	}
	now := n.o.Now()
	created, id := n.stamps.next(now)
	o := seal.Options{Case: req.Case, Now: created, ID: id, Version: n.o.FormatVersion}
	if req.Expires != nil {
		if !req.Expires.After(now) {
			return nil, invalid("give a time in the future, or none", "expires %s is not in the future", req.Expires.UTC().Format(time.RFC3339))
		}
		o.Expires = *req.Expires
	}
	signer, err := n.signing()
	if err != nil {
		return nil, err
	}
	var job *store.AttachJob
	if len(req.Attach) > 0 {
		if err := protocol.ValidateBody(req.Type, body); err != nil {
			return nil, invalid(fmt.Sprintf("run 'casenode example %s' for a valid body", req.Type), "%v", err)
		}
		if o.Attachments, err = n.spool(ctx, o.ID, n.sealers.get(signer), cards, req.Attach); err != nil {
			n.xfer.discard(o.ID, len(req.Attach))
			return nil, err
		}
		job = &store.AttachJob{Direction: store.DirectionOut, MessageID: o.ID, From: n.cfg.Agency}
		for _, c := range cards {
			job.To = append(job.To, c.Agency)
		}
		job.To = protocol.SortRecipients(job.To)
		for _, a := range o.Attachments {
			job.Items = append(job.Items, store.AttachItem{Attachment: a, State: store.AttachPending})
		}
		if err := n.xfer.declare(ctx, job); err != nil {
			n.unspool(job)
			n.xfer.discard(o.ID, len(job.Items))
			return nil, err
		}
	}
	sealed, err := n.sealers.get(signer).Seal(cards, req.Type, body, o)
	if err != nil {
		n.unspool(job)
		if job != nil {
			n.xfer.discard(o.ID, len(job.Items))
		}
		if verr := protocol.ValidateBody(req.Type, body); verr != nil {
			return nil, invalid(fmt.Sprintf("run 'casenode example %s' for a valid body", req.Type), "%v", verr)
		}
		return nil, err
	}
	h := sealed.Header
	e := &store.OutboxEntry{Header: h, Body: body, Hash: messageHash(sealed.Raw), Size: len(sealed.Raw), Sent: now, Actor: actor.Name}
	if err := n.sends.commit(ctx, &pendingSend{actor: actor.Name, raw: sealed.Raw, entry: e, attach: job}); err != nil {
		return nil, fmt.Errorf("record message %s: %w", h.ID, err)
	}
	n.log.Info("message queued", "id", h.ID, "type", h.MsgType, "to", h.To, "case", h.Case)
	return &SendResult{ID: h.ID, To: h.To, Created: h.Created.Time}, nil
}

// recipients returns the cards of the agencies in to from the roster in
// force: each must be an active member other than this agency.
func (n *Node) recipients(to []string) ([]*protocol.MemberCard, error) {
	rf := n.rosterNow()
	if rf == nil {
		return nil, n.noRosterError("knows no recipient's keys")
	}
	r := rf.roster
	if m := r.Member(n.cfg.Agency); m == nil {
		return nil, notReady("ask the secretariat: this agency is not a member of network "+r.Network,
			"agency %s is not in roster serial %d (issued %s): it cannot send", n.cfg.Agency, r.Serial, r.Issued)
	} else if m.Status != protocol.StatusActive {
		return nil, notReady("ask the secretariat: this agency is "+string(m.Status)+" in network "+r.Network+"; nothing was recorded or sent",
			"agency %s is %s since %s (roster serial %d): it cannot send", n.cfg.Agency, m.Status, m.Since, r.Serial)
	}
	ids := protocol.SortRecipients(to)
	if len(ids) == 0 {
		return nil, invalid("name the recipients with --to AGENCY[,AGENCY…]", "no recipient")
	}
	if err := protocol.ValidateRecipients(n.cfg.Agency, ids); err != nil {
		return nil, invalid("name the recipients by agency id, as 'casenode contacts list' shows them", "recipients: %v", err)
	}
	cards := make([]*protocol.MemberCard, len(ids))
	now := n.o.Now()
	for i, a := range ids {
		m := r.Member(a)
		if m == nil {
			return nil, invalid("check the agency id: 'casenode status' shows the roster, 'casenode contacts list' the agencies", "agency %q is not a member of network %s (roster serial %d)", a, r.Network, r.Serial)
		}
		if _, err := r.InGoodStanding(a, now); err != nil || m.Status != protocol.StatusActive {
			return nil, invalid("a revoked or suspended agency cannot receive until the secretariat reinstates it", "agency %q is %s since %s", a, m.Status, m.Since)
		}
		cards[i] = &m.Card
	}
	return cards, nil
}
