package agency

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// job is one message pulled from the hub, on its way through the
// receiving pipeline: a worker verifies it (process), the committer
// records it (commit) and only then acknowledges it.
type job struct {
	msg  jetstream.Msg
	done chan struct{} // closed when res is set
	res  result
}

// resultKind says what a worker made of a job.
type resultKind int

const (
	kindMessage  resultKind = iota + 1 // a valid sealed message for the inbox
	kindReceipt                        // a valid receipt from another agency
	kindRejected                       // an input refused for a reason
	kindWitness                        // a peer witness request or answer, acted on
)

// result is what a worker found; the committer acts on it.
type result struct {
	kind resultKind
	raw  []byte
	hash string

	// kindMessage
	opened  *seal.Opened
	contact *protocol.ContactCard

	// kindReceipt
	receipt *protocol.Receipt

	// retry, for kindWitness: why it could not be acted on durably; it
	// is delivered again.
	retry error

	// stamp is what the hub's JetStream stamped on the input: when it
	// stored it and its stream sequence; nil if the metadata is missing.
	stamp *auditlog.HubStamp

	// kindRejected: the reason a peer may see, the local detail, and who
	// and what the input claims to be.
	reason protocol.Reason
	detail string
	from   string
	id     string

	// publisher is the agency the hub authenticated as the publisher
	// (protocol.PublisherHeader), which the input's claimed sender must
	// match; empty for a message an older hub stored without it. pubID is
	// the id the hub stored it under, PUBLISHER/ID:RECIPIENT.
	publisher, pubID string

	// reply is the receipt to send back: delivered for a message,
	// rejected for a refused message whose sender's signature verified.
	reply *store.QueuedReceipt
}

// subjectParts splits casenet.<net>.msg.<from>.<to>.<type>; the message
// type itself may contain dots. Nothing in it is trusted: it only says how
// to read the data.
func subjectParts(subject string) (from, to string, t protocol.MessageType) {
	parts := strings.SplitN(subject, ".", 6)
	if len(parts) < 6 {
		return "", "", ""
	}
	return parts[3], parts[4], protocol.MessageType(parts[5])
}

// process verifies one job. It runs on a worker.
func (n *Node) process(j *job, rf *rosterInForce, now time.Time) {
	raw := j.msg.Data()
	from, _, t := subjectParts(j.msg.Subject())
	j.res = result{raw: raw, hash: messageHash(raw), from: from}
	if h := j.msg.Headers(); h != nil {
		j.res.publisher, j.res.pubID = h.Get(protocol.PublisherHeader), h.Get(jetstream.MsgIDHeader)
	}
	var stored time.Time
	if md, err := j.msg.Metadata(); err == nil {
		stored = md.Timestamp
		if !stored.IsZero() && md.Sequence.Stream > 0 {
			j.res.stamp = &auditlog.HubStamp{Stored: stored.UTC(), Seq: md.Sequence.Stream}
		}
	}
	switch {
	case j.res.publisher != "" && !stampFits(j.res.publisher, j.res.pubID, n.cfg.Agency):
		n.reCopied(&j.res)
	case t == protocol.TypeReceipt:
		n.processReceipt(&j.res, rf, stored)
	case t == protocol.TypePeerWitnessRequest || t == protocol.TypePeerWitnessAnswer:
		n.processPeerWitness(&j.res, rf, t, stored)
	default:
		n.processMessage(&j.res, rf, stored, now)
	}
	if protocol.ValidateID("agency", j.res.from) != nil {
		j.res.from = "unknown"
	}
	if protocol.ValidateID("agency", j.res.publisher) != nil {
		j.res.publisher = ""
	}
	if j.res.id != "" && protocol.ValidateMessageID(j.res.id) != nil {
		j.res.id = ""
	}
}

// stampFits reports whether the hub's stamp (publisher, and the id it
// stored the message under) is that of a publication by publisher to me.
// A copy of another publication that a client had JetStream deliver into
// the messages stream (a pull request whose reply subject is a message
// subject) keeps the stamp of the publication it copies, and fails this.
func stampFits(publisher, pubID, me string) bool {
	rest, ok := strings.CutPrefix(pubID, publisher+"/")
	return ok && strings.HasSuffix(rest, ":"+me)
}

// reCopied rejects an input whose stamp is not for this agency: its
// publisher is unknown.
func (n *Node) reCopied(res *result) {
	if env, _, err := seal.Parse(res.raw); err == nil {
		res.from, res.id = env.Header.From, env.Header.ID
	}
	res.reject(&seal.Error{Reason: protocol.ReasonWrongPublisher, Err: fmt.Errorf(
		"stored with the stamp of a publication by %s under id %q, which is not one to this agency: a copy of another publication, which a client made the hub store again", res.publisher, res.pubID)})
	res.publisher = ""
}

// stampMatches reports whether an authentic message or receipt from sender
// came as sender's own publication (stampFits checked that it was one to
// this agency). Messages an older hub stored carry no stamp and are taken
// on their signatures, as before.
func (n *Node) stampMatches(res *result, sender string) error {
	if res.publisher == "" {
		return nil
	}
	if sender != res.publisher {
		return wrongPublisher(sender, res.publisher)
	}
	return nil
}

// wrongPublisher is the rejection of an input that claims a sender other
// than the agency whose credentials published it: a member relaying or
// forging another's message.
func wrongPublisher(claimed, publisher string) error {
	return &seal.Error{Reason: protocol.ReasonWrongPublisher, Err: fmt.Errorf("claims to be from %s, but the hub says %s published it", claimed, publisher)}
}

// judgedAt is the time a message or receipt is judged at: the later of
// the time its sender claims and the time the hub stored it, so that
// neither a sender's clock nor the hub's alone moves it back into a key's
// validity.
func judgedAt(claimed, stored time.Time) time.Time {
	if stored.After(claimed) {
		return stored
	}
	return claimed
}

// processMessage opens a sealed message with the keys of the roster in
// force, judged at the later of its creation and its storing by the hub.
// A refused message gets a rejected receipt only when its outer signature
// verifies: only then is its sender known. The message is parsed once: the
// header chooses the keys, and the parsed form is opened with them.
func (n *Node) processMessage(res *result, rf *rosterInForce, stored, now time.Time) {
	env, p, err := seal.Parse(res.raw)
	if err != nil {
		res.reject(err)
		return
	}
	h := env.Header
	res.from, res.id = h.From, h.ID
	keys := rf.keysAt(judgedAt(h.Created.Time, stored))
	o, err := seal.OpenParsed(env, p, n.ident(), keys, seal.VerifyOptions{Network: n.cfg.Network, Now: now,
		Skew: time.Duration(n.cfg.MaxClockSkew), MaxAge: time.Duration(n.cfg.MaxMessageAge), Stored: stored})
	if err == nil {
		err = n.checkOpened(o)
	}
	if err == nil {
		// Authentic, but perhaps relayed: the sender's own copy, if any,
		// comes through the sender's own credentials.
		err = n.stampMatches(res, h.From)
	}
	if err != nil {
		res.reject(err)
		// A copy another member relayed gets no receipt, so that a relayed
		// or replayed copy cannot change what the sender's outbox says of
		// its own.
		if h.From == res.publisher && authentic(res.reason) && verifiesOuter(env, p, keys, n.cfg.Network) {
			n.replyTo(res, rf, h, protocol.ReceiptRejected, res.reason, now)
		}
		return
	}
	res.kind, res.opened = kindMessage, o
	if h.MsgType == protocol.TypeContact {
		var c protocol.ContactCard
		if err := json.Unmarshal(o.Body, &c); err == nil {
			res.contact = &c
		}
	}
	if len(o.Attachments) > 0 {
		// The delivered receipt waits for the attachments
		// (deliveredAfterAttachments).
		return
	}
	n.replyTo(res, rf, h, protocol.ReceiptDelivered, "", now)
}

// authentic reports whether a rejection for reason may come after the
// sender's signature verified; for the others it cannot have.
func authentic(reason protocol.Reason) bool {
	switch reason {
	case protocol.ReasonMalformed, protocol.ReasonOversized, protocol.ReasonUnsupportedVersion,
		protocol.ReasonUnknownSender, protocol.ReasonUnknownKey, protocol.ReasonBadSignature, protocol.ReasonRevoked:
		return false
	}
	return true
}

// checkOpened applies the node's rules beyond the seal's: a message from
// this agency itself is not for its inbox, receipts travel signed but not
// sealed, and a contact card speaks only for its sender.
func (n *Node) checkOpened(o *seal.Opened) error {
	h := o.Header
	switch {
	case h.From == n.cfg.Agency:
		return &seal.Error{Reason: protocol.ReasonNotAddressed, Err: fmt.Errorf("message %s is from this agency itself", h.ID)}
	case h.MsgType == protocol.TypeReceipt:
		return &seal.Error{Reason: protocol.ReasonInvalidBody, Err: fmt.Errorf("a receipt came sealed: receipts travel signed, not sealed")}
	case h.MsgType == protocol.TypeContact:
		var c protocol.ContactCard
		if err := json.Unmarshal(o.Body, &c); err != nil {
			return &seal.Error{Reason: protocol.ReasonInvalidBody, Err: err}
		}
		if c.Agency != h.From {
			return &seal.Error{Reason: protocol.ReasonInvalidBody, Err: fmt.Errorf("contact card of agency %q sent by %q: an agency sends only its own card", c.Agency, h.From)}
		}
	}
	return nil
}

// replyTo signs the receipt for a message whose sender is authentic, if
// the sender is a member in good standing now.
func (n *Node) replyTo(res *result, rf *rosterInForce, h *protocol.Header, kind protocol.ReceiptKind, reason protocol.Reason, now time.Time) {
	if _, err := rf.roster.InGoodStanding(h.From, now); err != nil || h.From == n.cfg.Agency {
		return
	}
	q, err := n.signReceipt(h.From, h.ID, res.hash, kind, reason, now)
	if err != nil {
		n.log.Error("cannot sign a receipt", "message", h.ID, "err", err)
		return
	}
	res.reply = q
}

// processReceipt verifies a receipt from another agency.
func (n *Node) processReceipt(res *result, rf *rosterInForce, stored time.Time) {
	r, err := n.verifyReceipt(res.raw, rf, stored)
	if r != nil {
		res.from, res.id = r.From, r.MessageID
	}
	if err == nil && r != nil {
		err = n.stampMatches(res, r.From)
	}
	if err != nil {
		res.reject(err)
		return
	}
	res.kind, res.receipt = kindReceipt, r
}

// reject makes res a rejection for err's reason.
func (res *result) reject(err error) {
	res.kind = kindRejected
	res.reason = seal.ReasonOf(err)
	if res.reason == "" {
		res.reason = protocol.ReasonMalformed
	}
	var se *seal.Error
	if errors.As(err, &se) {
		res.detail = se.Err.Error()
	} else {
		res.detail = err.Error()
	}
}

// verifiesOuter reports whether a parsed message's outer signature
// verifies with keys, whatever its times: then its sender is known.
func verifiesOuter(env *seal.Envelope, p *jws.Parsed, keys seal.Keys, network string) bool {
	return seal.VerifyParsed(env, p, keys, seal.VerifyOptions{Network: network, SkipTime: true}) == nil
}
