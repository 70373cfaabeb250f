package agency

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// Message is a whole message as Show returns it, received or sent.
type Message struct {
	ID string `json:"id"`
	// Direction is "in" for a received message, "out" for a sent one.
	Direction Direction `json:"direction"`
	// Header is the verified clear header.
	Header *protocol.Header `json:"header"`
	// SignedBy is the sender as the roster in force describes it.
	SignedBy *Signer `json:"signed_by,omitempty"`
	// Body is the message body.
	Body json.RawMessage `json:"body"`
	// Hash is the hex SHA-256 of the sealed bytes; Size their length.
	Hash string `json:"hash"`
	Size int    `json:"size"`
	// Received, ReadAt and ReadBy are set for a received message.
	Received *time.Time `json:"received,omitempty"`
	ReadAt   *time.Time `json:"read_at,omitempty"`
	ReadBy   string     `json:"read_by,omitempty"`
	// Sent, SentBy and Copies are set for a sent message.
	Sent   *time.Time       `json:"sent,omitempty"`
	SentBy string           `json:"sent_by,omitempty"`
	Copies map[string]*Copy `json:"copies,omitempty"`
	// Attachments are the files sent with it, with where each stands.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Signer is the agency that signed a message.
type Signer struct {
	Agency  string `json:"agency"`
	Name    string `json:"name"`
	Country string `json:"country"`
	KeyID   string `json:"kid"`
}

// accessRecord is the payload of an access record in the audit log.
type accessRecord struct {
	Action    string          `json:"action"`
	MessageID string          `json:"message_id"`
	Direction store.Direction `json:"direction"`
	// Via is how the node authenticated the record's actor; Label is the
	// name the caller declared, unverified.
	Via   string `json:"via,omitempty"`
	Label string `json:"label,omitempty"`
}

// Show returns message id, received or sent, and records in the audit log
// that actor opened it, with how the node knows who that is and the
// name the caller gave itself. The first time a received message is opened, its
// sender gets a signed read receipt.
func (n *Node) Show(ctx context.Context, actor Actor, id string) (*Message, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	if err := protocol.ValidateMessageID(id); err != nil {
		return nil, invalid("message ids are as 'casenode inbox' and 'casenode send' print them", "%v", err)
	}
	n.showMu.Lock()
	defer n.showMu.Unlock()
	var in *store.InboxEntry
	var out *store.OutboxEntry
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		if in, err = tx.Inbox(id); err != nil || in != nil {
			return err
		}
		out, err = tx.Outbox(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if in == nil && out == nil {
		return nil, notFound("'casenode inbox' and 'casenode outbox' list the messages", "no message %s in the inbox or the outbox", id)
	}
	now := n.o.Now()
	dir := store.DirectionOut
	if in != nil {
		dir = store.DirectionIn
	}
	access, err := json.Marshal(accessRecord{Action: "show", MessageID: id, Direction: dir, Via: actor.Via, Label: actor.label()})
	if err != nil {
		return nil, err
	}
	entries := []auditlog.Entry{{Type: auditlog.TypeAccess, Actor: actor.Name, MessageID: id, Payload: access}}
	var receipt *store.QueuedReceipt
	if in != nil && in.ReadAt == nil {
		if rf := n.rosterNow(); rf != nil {
			res := &result{hash: in.Hash}
			n.replyTo(res, rf, in.Header, protocol.ReceiptRead, "", now)
			receipt = res.reply
		}
		if receipt != nil {
			entries = append(entries, auditlog.Entry{Type: auditlog.TypeReceipt, Actor: n.cfg.Agency, MessageID: id, Payload: receipt.JWS})
		}
	}
	if _, err := n.audit.AppendBatch(ctx, entries); err != nil {
		return nil, fmt.Errorf("record the access to %s in the audit log: %w", id, err)
	}
	if in != nil && in.ReadAt == nil {
		err := n.store.Commit(func(tx *store.Tx) error {
			if _, err := tx.MarkRead(id, actor.Name, now); err != nil {
				return err
			}
			if receipt != nil {
				return tx.QueueReceipt(receipt)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("mark %s read: %w", id, err)
		}
		in.ReadAt, in.ReadBy = &now, actor.Name
		if receipt != nil {
			n.pub.addReceipts([]*store.QueuedReceipt{receipt})
		}
	}
	return n.messageView(in, out), nil
}

// messageView builds the Message of an inbox or outbox entry.
func (n *Node) messageView(in *store.InboxEntry, out *store.OutboxEntry) *Message {
	var m *Message
	if in != nil {
		m = &Message{ID: in.Header.ID, Direction: DirectionIn, Header: in.Header, Body: in.Body, Hash: in.Hash, Size: in.Size,
			Received: &in.Received, ReadAt: in.ReadAt, ReadBy: in.ReadBy}
	} else {
		m = &Message{ID: out.Header.ID, Direction: DirectionOut, Header: out.Header, Body: out.Body, Hash: out.Hash, Size: out.Size,
			Sent: &out.Sent, SentBy: out.Actor, Copies: copiesOf(out.Copies)}
	}
	if j, err := n.attachJob(m.ID); err == nil {
		m.Attachments = n.attachments(j)
	}
	if m.Header.From == n.cfg.Agency {
		c := n.ident().Card
		m.SignedBy = &Signer{Agency: c.Agency, Name: c.Name, Country: c.Country, KeyID: m.Header.Kid}
	} else if rf := n.rosterNow(); rf != nil {
		if mem := rf.roster.Member(m.Header.From); mem != nil {
			m.SignedBy = &Signer{Agency: mem.Card.Agency, Name: mem.Card.Name, Country: mem.Card.Country, KeyID: m.Header.Kid}
		}
	}
	return m
}
