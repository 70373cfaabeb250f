package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

func runAuditReplay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit replay", "")
	db := fs.String("db", "", "the audit log file: a copy, opened read-only (required)")
	var idf identityFlags
	idf.register(fs)
	fs.Lookup("dir").Usage = "the agency's directory (from 'casenode init'): also decrypt the bodies and rebuild the case threads"
	asJSON := fs.Bool("json", false, "print one JSON object per record (stable for scripts)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	r, err := openAuditLog("audit replay", *db)
	if err != nil {
		return err
	}
	defer r.Close()
	rp := &replayer{}
	if idf.dir != "" {
		if rp.me, err = idf.load(e, "audit replay"); err != nil {
			return err
		}
		if o := auditlog.Origin(rp.me.Network(), rp.me.Agency()); o != r.Origin() {
			return withHint(fmt.Errorf("the identity in %s is %s's, but the log is %s's", idf.dir, o, r.Origin()), "give the --dir of the agency whose log this is")
		}
	}
	p := newProgress(e, "replaying")
	total, err := r.Size()
	if err != nil {
		return err
	}
	var n int64
	err = r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ev := rp.event(rec, payload)
		if *asJSON {
			if err := writeJSON(e.stdout, ev); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(e.stdout, "%s  #%-6d %s\n", ev.Time, ev.Index, ev.Text)
		}
		n++
		p.update(n, total)
		return nil
	})
	p.finish(n, "replayed")
	if err != nil {
		return fmt.Errorf("audit replay: %w", err)
	}
	if rp.me != nil && !*asJSON {
		rp.printThreads(e.stdout)
	}
	return nil
}

// replayEvent is one record told: the sentence, and the fields it is made
// of for --json.
type replayEvent struct {
	Index       int64           `json:"index"`
	Time        string          `json:"time"`
	Type        auditlog.Type   `json:"type"`
	Actor       string          `json:"actor"`
	MessageID   string          `json:"message_id,omitempty"`
	PayloadSize int64           `json:"payload_size"`
	MsgType     string          `json:"msgtype,omitempty"`
	From        string          `json:"from,omitempty"`
	To          []string        `json:"to,omitempty"`
	Case        string          `json:"case,omitempty"`
	ReceiptKind string          `json:"receipt_kind,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	Detail      string          `json:"detail,omitempty"`
	Publisher   string          `json:"publisher,omitempty"`
	Claimed     string          `json:"claimed_sender,omitempty"`
	Body        json.RawMessage `json:"body,omitempty"`
	Text        string          `json:"text"`
}

// replayer tells records one after the other, following the log's trust
// as 'casenode audit verify' does (auditlog.TrustTrail), for decryption
// with --dir.
type replayer struct {
	trail   auditlog.TrustTrail
	me      *identity.Identity
	threads map[string][]*replayEvent
	// standing is each agency's status in the last roster replayed.
	standing map[string]protocol.MemberStatus
}

// own returns the log's own agency, once record 0 gave it.
func (rp *replayer) own() string {
	if t := rp.trail.Trust(); t != nil {
		return t.Own().Agency
	}
	return ""
}

func (rp *replayer) event(rec *auditlog.Record, payload []byte) *replayEvent {
	ev := &replayEvent{
		Index: rec.Seq, Time: protocol.NewTime(rec.Time).String(), Type: rec.Type, Actor: rec.Actor,
		MessageID: rec.MessageID, PayloadSize: rec.PayloadSize,
	}
	trust, terr := rp.trail.Take(rec, payload)
	d := auditlog.Describe(rec, payload)
	switch rec.Type {
	case auditlog.TypeKey:
		ev.Text = rp.key(d)
	case auditlog.TypeSent, auditlog.TypeReceived:
		ev.Text = rp.message(ev, d, payload, trust)
	case auditlog.TypeRejected:
		ev.Text = rejectedText(ev, d)
	case auditlog.TypeReceipt:
		ev.Text = rp.receipt(ev, d)
	case auditlog.TypeRoster:
		ev.Text = rosterText(d) + rp.rosterChanges(d)
	case auditlog.TypeConfig:
		ev.Text = fmt.Sprintf("%s recorded a configuration (%d bytes, SHA-256 %s)", rec.Actor, rec.PayloadSize, hex.EncodeToString(rec.PayloadHash[:8]))
	case auditlog.TypeAccess:
		ev.Text = accessText(d, payload)
	case auditlog.TypeCheckpoint:
		if c := d.Checkpoint; c != nil {
			ev.Text = fmt.Sprintf("the log signed a checkpoint of its first %s (root %s)", count(c.Size, "record", "records"), c.Root)
		} else {
			ev.Text = "the log signed a checkpoint (unreadable: " + d.Unreadable + ")"
		}
	case auditlog.TypeRestart:
		ev.Text = restartText(d)
	}
	if terr != nil {
		ev.Text += " (the auditor does not trust it: " + terr.Error() + ")"
	}
	return ev
}

func (rp *replayer) key(d *auditlog.Event) string {
	c := d.Card
	if c == nil {
		return "a member card (unreadable: " + d.Unreadable + ")"
	}
	if c.Agency == rp.own() {
		return fmt.Sprintf("the agency's own card: %s (%s, %s), signing key %s", c.Agency, c.Name, c.Country, c.KeyID())
	}
	return fmt.Sprintf("trusts the card of %s (%s, %s) from here: signing key %s", c.Agency, c.Name, c.Country, c.KeyID())
}

// message tells a sealed message from its clear header; with --dir it also
// decrypts the body and files it in its case thread.
func (rp *replayer) message(ev *replayEvent, d *auditlog.Event, raw []byte, trust *auditlog.Trust) string {
	rec, h := d.Record, d.Message
	if h == nil {
		return fmt.Sprintf("%s message %s (%d bytes, not a readable sealed message: %v)", rec.Type, rec.MessageID, rec.PayloadSize, d.Unreadable)
	}
	ev.MsgType, ev.From, ev.To, ev.Case = string(h.MsgType), h.From, h.To, h.Case
	where := ""
	if h.Case != "" {
		where = " in case " + h.Case
	}
	var text string
	if rec.Type == auditlog.TypeSent {
		text = fmt.Sprintf("%s sent %s to %s%s, message %s", rec.Actor, h.MsgType, strings.Join(h.To, ", "), where, h.ID)
	} else {
		text = fmt.Sprintf("received %s from %s%s, message %s", h.MsgType, h.From, where, h.ID)
	}
	switch {
	case rp.me == nil:
	case trust == nil:
		text += " (not decrypted: record 0 holds no member card to trust)"
	default:
		text += rp.decrypt(ev, raw, trust.KeysFor(h.From, h.Created.Time))
	}
	return text
}

// decrypt is the integration with crypto/seal for --dir: it opens the
// message with the agency's identity and the keys the log trusts for its
// sender at this point, and files the body in its case thread.
func (rp *replayer) decrypt(ev *replayEvent, raw []byte, keys seal.Keys) string {
	o, err := seal.Open(raw, rp.me, keys, seal.VerifyOptions{SkipTime: true})
	if err != nil {
		return " (not decrypted: " + err.Error() + ")"
	}
	ev.Body = append(json.RawMessage(nil), o.Body...)
	if rp.threads == nil {
		rp.threads = map[string][]*replayEvent{}
	}
	rp.threads[ev.Case] = append(rp.threads[ev.Case], ev)
	return ""
}

// printThreads prints the decrypted messages case by case.
func (rp *replayer) printThreads(w io.Writer) {
	if len(rp.threads) == 0 {
		return
	}
	cases := make([]string, 0, len(rp.threads))
	for c := range rp.threads {
		cases = append(cases, c)
	}
	sort.Strings(cases)
	fmt.Fprintf(w, "\nCase threads (decrypted; --json prints the whole bodies):\n")
	for _, c := range cases {
		name := c
		if name == "" {
			name = "(messages without a case)"
		}
		fmt.Fprintf(w, "\n%s\n", name)
		for _, ev := range rp.threads[c] {
			fmt.Fprintf(w, "  %s  #%d %s %s → %s: %s\n", ev.Time, ev.Index, ev.MsgType, ev.From, strings.Join(ev.To, ", "), oneLine(string(ev.Body)))
		}
	}
}

func rejectedText(ev *replayEvent, d *auditlog.Event) string {
	rj := d.Rejection
	if rj == nil {
		return "rejected an input (unreadable: " + d.Unreadable + ")"
	}
	ev.Reason, ev.Detail = string(rj.Reason), rj.Detail
	kept := "kept whole"
	switch {
	case rj.Withheld:
		kept = "not kept: over the hourly number of rejections kept in full"
	case !rj.Complete():
		kept = fmt.Sprintf("first %d bytes kept", len(rj.Raw))
	}
	from := ev.Actor
	if rj.Publisher != "" {
		// The record's actor is the sender the input claims; the hub
		// authenticated its publisher.
		ev.Publisher, ev.Claimed = rj.Publisher, ev.Actor
		from = "published by " + rj.Publisher
		if rj.Publisher != ev.Actor {
			from += ", claiming to be from " + ev.Actor
		}
	}
	return fmt.Sprintf("rejected an input %s: %s — %s (%d bytes, SHA-256 %s, %s)", fromText(from, rj.Publisher != ""), rj.Reason, oneLine(rj.Detail), rj.Size, hex.EncodeToString(rj.SHA256[:8]), kept)
}

// fromText is "from X" for a version 1 rejection (the claimed sender
// only), or the publisher's sentence for a later one.
func fromText(s string, published bool) string {
	if published {
		return s
	}
	return "from " + s
}

func (rp *replayer) receipt(ev *replayEvent, d *auditlog.Event) string {
	r := d.Receipt
	if r == nil {
		return "a receipt (unreadable: " + d.Unreadable + ")"
	}
	ev.ReceiptKind, ev.Reason, ev.From, ev.To = string(r.Kind), string(r.Reason), r.From, []string{r.To}
	why := ""
	if r.Reason != "" {
		why = " (" + string(r.Reason) + ")"
	}
	if r.From == rp.own() {
		return fmt.Sprintf("sent a %s receipt%s to %s for message %s", r.Kind, why, r.To, r.MessageID)
	}
	return fmt.Sprintf("received a %s receipt%s from %s for message %s", r.Kind, why, r.From, r.MessageID)
}

func rosterText(d *auditlog.Event) string {
	rec := d.Record
	if r := d.Roster; r != nil {
		return fmt.Sprintf("took roster serial %d of network %s, signed by %s: %s, issued %s", r.Serial, r.Network, rec.Actor, count(len(r.Members), "member", "members"), r.Issued)
	}
	return fmt.Sprintf("took a roster signed by %s (%d bytes)", rec.Actor, rec.PayloadSize)
}

// rosterChanges tells which agencies a roster revoked or suspended, or
// reinstated, against the roster replayed before it.
func (rp *replayer) rosterChanges(d *auditlog.Event) string {
	r := d.Roster
	if r == nil {
		return ""
	}
	var changes []string
	for _, m := range r.Members {
		before, known := rp.standing[m.Card.Agency]
		switch {
		case m.Status != protocol.StatusActive && before != m.Status:
			changes = append(changes, fmt.Sprintf("%s %s since %s", m.Status, m.Card.Agency, m.Since))
		case m.Status == protocol.StatusActive && known && before != protocol.StatusActive:
			changes = append(changes, "reinstated "+m.Card.Agency)
		}
	}
	rp.standing = make(map[string]protocol.MemberStatus, len(r.Members))
	for _, m := range r.Members {
		rp.standing[m.Card.Agency] = m.Status
	}
	if len(changes) == 0 {
		return ""
	}
	return "; " + strings.Join(changes, "; ")
}

func accessText(d *auditlog.Event, payload []byte) string {
	rec := d.Record
	if a := d.Access; a != nil {
		who := rec.Actor
		if a.Label != "" {
			who += fmt.Sprintf(" (calling itself %q)", a.Label)
		}
		s := fmt.Sprintf("%s: %s", who, a.Action)
		if a.Alarm != "" {
			s += " " + oneLine(a.Alarm)
		}
		if rec.MessageID != "" {
			s += " message " + rec.MessageID
		}
		if a.Direction != "" {
			s += " (" + a.Direction + ")"
		}
		if a.Name != "" {
			s += fmt.Sprintf(": attachment %q, SHA-256 %s, ciphertext SHA-256 %s", a.Name, a.SHA256, a.CipherSHA256)
		}
		if a.Detail != "" {
			s += ": " + oneLine(a.Detail)
		}
		return s
	}
	return fmt.Sprintf("%s: access to message %s (%s)", rec.Actor, rec.MessageID, oneLine(string(payload)))
}

// oneLine shows text on one line, cut to 200 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// restartText tells a restart record: the log started over after a broken
// one.
func restartText(d *auditlog.Event) string {
	r := d.Restart
	if r == nil {
		return "the log started over after a broken one (unreadable: " + d.Unreadable + ")"
	}
	text := fmt.Sprintf("the log started over after a broken one, kept as %s (%s)", r.OldFile, count(r.OldRecords, "record", "records"))
	if c, _, err := auditlog.ParseCheckpoint([]byte(r.Checkpoint)); err == nil {
		text += fmt.Sprintf(": its records up to its checkpoint of size %d, root %s, were the agency's", c.Size, c.Root)
	} else {
		text += ": none of its checkpoints verified"
	}
	return text + "; it failed with: " + r.Reason
}
