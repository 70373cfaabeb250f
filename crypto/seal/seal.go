package seal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

// Options are the optional parts of a message.
type Options struct {
	// Case is the case/thread id the message belongs to.
	Case string
	// Expires, if set, is when recipients stop accepting the message.
	Expires time.Time
	// Now is the creation time; the zero value means time.Now().
	Now time.Time
	// ID is the message id; empty means a fresh UUIDv7. Resends reuse it.
	ID string
	// Attachments are the manifests of the files sent with the message,
	// in the signed body; the index-th names AttachmentObject(sender, ID,
	// index), so ID must be set when there are attachments.
	Attachments []protocol.Attachment
	// Version is the format version to seal in: 0 means
	// protocol.FormatVersion (2); 1 writes the version 1 format, which
	// every node still reads.
	Version int
}

// Sealed is a sealed message: its exact bytes and its clear header.
type Sealed struct {
	Raw    []byte
	Header *protocol.Header
}

// Seal encrypts body to every recipient and to the sender, signs it inside
// and outside the encryption, and returns the sealed message. body must be a
// valid body of type t; it is stored in compact form.
func Seal(sender *identity.Identity, to []*protocol.MemberCard, t protocol.MessageType, body []byte, o Options) (*Sealed, error) {
	return NewSealer(sender).Seal(to, t, body, o)
}

// Sealer seals messages from one agency. It keeps the age recipients it has
// parsed, which for post-quantum keys costs as much as a signature, so a
// long-lived Sealer is cheaper per message than Seal. It is safe for
// concurrent use.
type Sealer struct {
	sender *identity.Identity
	mu     sync.Mutex
	parsed map[string]age.Recipient // age recipient string → parsed
}

// NewSealer returns a Sealer for messages from sender.
func NewSealer(sender *identity.Identity) *Sealer {
	return &Sealer{sender: sender, parsed: make(map[string]age.Recipient)}
}

// Learn adds age recipients already parsed, by their string in the member
// cards (protocol.ParseRosterRecipients), to those the Sealer keeps.
func (s *Sealer) Learn(parsed map[string]age.Recipient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, r := range parsed {
		s.parsed[k] = r
	}
}

// recipient returns the parsed age recipient of card.
func (s *Sealer) recipient(c *protocol.MemberCard) (age.Recipient, error) {
	s.mu.Lock()
	r, ok := s.parsed[c.AgeRecipient]
	s.mu.Unlock()
	if ok {
		return r, nil
	}
	r, err := protocol.ParseRecipient(c.AgeRecipient)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.parsed[c.AgeRecipient] = r
	s.mu.Unlock()
	return r, nil
}

// Seal is the package-level Seal for the Sealer's sender.
func (s *Sealer) Seal(to []*protocol.MemberCard, t protocol.MessageType, body []byte, o Options) (*Sealed, error) {
	sender := s.sender
	if len(body) > protocol.MaxBodySize {
		return nil, fmt.Errorf("seal: body is %d bytes, over the limit of %d", len(body), protocol.MaxBodySize)
	}
	if err := protocol.ValidateBody(t, body); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return nil, fmt.Errorf("seal: body: %w", err)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	version := o.Version
	if version == 0 {
		version = protocol.FormatVersion
	}
	if !protocol.KnownVersion(version) {
		return nil, fmt.Errorf("seal: unknown format version %d", version)
	}
	h := &protocol.Header{
		Alg: "EdDSA", Case: o.Case, Created: protocol.NewTime(now), From: sender.Agency(),
		Kid: sender.KeyID(), MsgType: t, Net: sender.Network(), Typ: protocol.MessageJWSType, V: version,
		ID: o.ID,
	}
	if h.ID == "" {
		h.ID = protocol.NewMessageID(now)
	}
	if !o.Expires.IsZero() {
		e := protocol.NewTime(o.Expires)
		h.Expires = &e
	}
	cards, err := recipientCards(sender, to)
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		h.To = append(h.To, c.Agency)
	}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}

	if err := protocol.ValidateAttachments(h.From, h.ID, o.Attachments); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	inner, err := protocol.Marshal(&protocol.Inner{
		Attachments: o.Attachments, Body: compact.Bytes(), Case: h.Case, Created: h.Created, Expires: h.Expires, From: h.From,
		ID: h.ID, MsgType: h.MsgType, Net: h.Net, To: h.To, V: h.V,
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode signed body: %w", err)
	}
	var raw []byte
	if version == protocol.FormatVersion1 {
		raw, err = s.sealV1(h, cards, inner)
	} else {
		raw, err = s.sealV2(h, cards, inner)
	}
	if err != nil {
		return nil, err
	}
	if len(raw) > protocol.MaxMessageSize {
		return nil, fmt.Errorf("seal: sealed message is %d bytes, over the limit of %d: send a smaller body", len(raw), protocol.MaxMessageSize)
	}
	return &Sealed{Raw: raw, Header: h}, nil
}

// sealV1 signs inner, encrypts it to cards and the sender, and signs the
// ciphertext under h: a version 1 compact JWS.
func (s *Sealer) sealV1(h *protocol.Header, cards []*protocol.MemberCard, inner []byte) ([]byte, error) {
	sender := s.sender
	innerJWS, err := jws.Sign(sender.Signing, protocol.BodyJWSType, nil, inner)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	recipients, err := s.recipients(append(cards, sender.Card))
	if err != nil {
		return nil, err
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, recipients...)
	if err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	if _, err := w.Write(innerJWS); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	raw, err := jws.Sign(sender.Signing, protocol.MessageJWSType, h.Fields(), ct.Bytes())
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return raw, nil
}

// recipients returns the parsed age recipients of cards.
func (s *Sealer) recipients(cards []*protocol.MemberCard) ([]age.Recipient, error) {
	out := make([]age.Recipient, 0, len(cards))
	for _, c := range cards {
		r, err := s.recipient(c)
		if err != nil {
			return nil, fmt.Errorf("seal: recipient %s: member card age_recipient: %w", c.Agency, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// recipientCards checks the recipients' cards and returns them sorted by
// agency id.
func recipientCards(sender *identity.Identity, to []*protocol.MemberCard) ([]*protocol.MemberCard, error) {
	if len(to) == 0 {
		return nil, fmt.Errorf("seal: no recipients")
	}
	byAgency := make(map[string]*protocol.MemberCard, len(to))
	ids := make([]string, 0, len(to))
	for _, c := range to {
		// The age recipient is parsed (once per Sealer) when the message
		// is encrypted.
		if err := c.ValidateFields(); err != nil {
			return nil, fmt.Errorf("seal: recipient %s: %w", c.Agency, err)
		}
		if c.Network != sender.Network() {
			return nil, fmt.Errorf("seal: recipient %s is in network %q, not %q", c.Agency, c.Network, sender.Network())
		}
		if c.Agency == sender.Agency() {
			return nil, fmt.Errorf("seal: the sender %s cannot be a recipient (it can always read what it sent)", c.Agency)
		}
		if _, dup := byAgency[c.Agency]; dup {
			return nil, fmt.Errorf("seal: recipient %s is named twice", c.Agency)
		}
		byAgency[c.Agency] = c
		ids = append(ids, c.Agency)
	}
	ids = protocol.SortRecipients(ids)
	cards := make([]*protocol.MemberCard, len(ids))
	for i, a := range ids {
		cards[i] = byAgency[a]
	}
	if err := checkKinds(sender.Card.Kind(), cards); err != nil {
		return nil, err
	}
	return cards, nil
}
