package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// Finding is the kind of one disagreement between a sender's and a
// receiver's logs.
type Finding string

// The kinds of finding of Diff, most serious first (docs/AUDIT.md).
const (
	// ReceivedNotSent: the receiver's log holds a message from the sender
	// that the sender's log never sent — a forgery, or a sender's log that
	// lost records.
	ReceivedNotSent Finding = "received_not_sent"
	// HashMismatch: both logs hold the message (or the receipt) under one
	// id, with different bytes; or a receipt binds another hash than the
	// message sent.
	HashMismatch Finding = "hash_mismatch"
	// SentNotReceived: the sender's log sent the message to the receiver,
	// whose log neither received nor rejected it.
	SentNotReceived Finding = "sent_not_received"
	// ReceiptSenderOnly: the sender's log holds a receipt from the
	// receiver that the receiver's log never issued.
	ReceiptSenderOnly Finding = "receipt_sender_only"
	// ReceiptReceiverOnly: the receiver's log issued a receipt to the
	// sender that the sender's log never got.
	ReceiptReceiverOnly Finding = "receipt_receiver_only"
)

// Findings returns every kind of finding, most serious first.
func Findings() []Finding {
	return []Finding{ReceivedNotSent, HashMismatch, SentNotReceived, ReceiptSenderOnly, ReceiptReceiverOnly}
}

// Issue is one disagreement.
type Issue struct {
	Kind Finding `json:"kind"`
	// MessageID is the message at issue.
	MessageID string `json:"message_id"`
	// ReceiptID and ReceiptKind are the receipt at issue, for a receipt.
	ReceiptID   string               `json:"receipt_id,omitempty"`
	ReceiptKind protocol.ReceiptKind `json:"receipt_kind,omitempty"`
	// SenderIndex and ReceiverIndex are the records in the two logs; -1
	// when the log has none.
	SenderIndex   int64 `json:"sender_index"`
	ReceiverIndex int64 `json:"receiver_index"`
	// Detail says more, in words.
	Detail string `json:"detail"`
}

// Timeline is one message found in both logs, with its times: when the
// sender's log recorded it sent, when the hub stored it (from the hub's
// stamp on the receiver's record, which records written before the stamp
// existed lack), when the receiver's log recorded it, the
// times of the receiver's delivered and read receipts as it signed them,
// and when the sender's log recorded those receipts.
type Timeline struct {
	MessageID         string     `json:"message_id"`
	SenderIndex       int64      `json:"sender_index"`
	ReceiverIndex     int64      `json:"receiver_index"`
	Sent              time.Time  `json:"sent"`
	Stored            *time.Time `json:"stored,omitempty"`
	HubSeq            uint64     `json:"hub_seq,omitempty"`
	Received          time.Time  `json:"received"`
	Delivered         *time.Time `json:"delivered,omitempty"`
	DeliveredAtSender *time.Time `json:"delivered_at_sender,omitempty"`
	Read              *time.Time `json:"read,omitempty"`
	ReadAtSender      *time.Time `json:"read_at_sender,omitempty"`
}

// Delay sums up one delay over the messages that have both ends.
type Delay struct {
	// Name says between what: "sent→received", …
	Name string `json:"name"`
	// Count is the number of messages measured.
	Count int `json:"count"`
	// Median, P95 and Max are the delays.
	Median time.Duration `json:"median_ns"`
	P95    time.Duration `json:"p95_ns"`
	Max    time.Duration `json:"max_ns"`
}

// Report is the cross-log audit of a sender's log against a receiver's.
type Report struct {
	Network  string `json:"network"`
	Sender   string `json:"sender"`
	Receiver string `json:"receiver"`
	// SenderRecords and ReceiverRecords are the logs' sizes.
	SenderRecords   int64 `json:"sender_records"`
	ReceiverRecords int64 `json:"receiver_records"`
	// Sent counts the sender's messages to the receiver; Received the
	// receiver's messages from the sender; Rejected those the receiver
	// rejected; Paired those in both logs.
	Sent     int `json:"sent"`
	Received int `json:"received"`
	Rejected int `json:"rejected"`
	Paired   int `json:"paired"`
	// ReceiptsIssued counts the receiver's receipts to the sender;
	// ReceiptsHeld the sender's receipts from the receiver.
	ReceiptsIssued int `json:"receipts_issued"`
	ReceiptsHeld   int `json:"receipts_held"`
	// Unreadable counts records of the two logs that should be a sealed
	// message or a receipt and do not parse as one (audit verify reports
	// them).
	Unreadable int `json:"unreadable"`
	// SenderNewest and ReceiverNewest are the times of the logs' newest
	// records: a message sent after the receiver's copy was taken may be
	// on its way.
	SenderNewest   time.Time `json:"sender_newest"`
	ReceiverNewest time.Time `json:"receiver_newest"`
	// Issues are the disagreements, most serious kind first, then in the
	// sender's log's order.
	Issues []Issue `json:"issues"`
	// Timelines are the paired messages, in the sender's log's order.
	Timelines []Timeline `json:"timelines"`
	// Delays sum up the timelines.
	Delays []Delay `json:"delays"`
}

// Worst returns the most serious kind of finding of the report, or "".
func (r *Report) Worst() Finding {
	for _, k := range Findings() {
		for _, is := range r.Issues {
			if is.Kind == k {
				return k
			}
		}
	}
	return ""
}

// logMsg is a message as one log holds it.
type logMsg struct {
	index int64
	at    time.Time
	hash  [sha256.Size]byte
	// hub is the hub's stamp of a received message, if its record has one.
	hub *auditlog.HubStamp
}

// logReceipt is a receipt as one log holds it.
type logReceipt struct {
	index   int64
	at      time.Time // when the log recorded it
	signed  time.Time // the receipt's own time
	hash    [sha256.Size]byte
	kind    protocol.ReceiptKind
	msgID   string
	msgHash string
}

// side is what Diff keeps of one log: indexes of ids and hashes, never a
// record's bytes.
type side struct {
	records  int64
	newest   time.Time
	msgs     map[string]*logMsg
	order    []string // message ids in the log's order
	rejected map[string]int64
	receipts map[string]*logReceipt
	rorder   []string
	unread   int
}

// Diff pairs the sender's sent records to the receiver with the
// receiver's received records from the sender, by message id and SHA-256,
// and both logs' receipts from the receiver to the sender, by receipt id
// and SHA-256, and reports what one log holds and the other does not and
// the delays along the way. It reads each log once, in one read
// transaction, the two at the same time, keeping only ids, hashes and
// times. It does not verify the
// logs: 'audit verify' does.
func Diff(sender, receiver *auditlog.Reader) (*Report, error) {
	net, from, err := originParts(sender.Origin())
	if err != nil {
		return nil, fmt.Errorf("sender's log: %w", err)
	}
	rnet, to, err := originParts(receiver.Origin())
	if err != nil {
		return nil, fmt.Errorf("receiver's log: %w", err)
	}
	if net != rnet {
		return nil, fmt.Errorf("the sender's log is of network %s, the receiver's of network %s", net, rnet)
	}
	if from == to {
		return nil, fmt.Errorf("both logs are of agency %s", from)
	}
	// The two logs are read at the same time, one goroutine each.
	var (
		s    *side
		serr error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		s, serr = readSide(sender, from, to, true)
	}()
	r, err := readSide(receiver, from, to, false)
	<-done
	if serr != nil {
		return nil, fmt.Errorf("sender's log: %w", serr)
	}
	if err != nil {
		return nil, fmt.Errorf("receiver's log: %w", err)
	}
	rep := &Report{Network: net, Sender: from, Receiver: to, SenderRecords: s.records, ReceiverRecords: r.records,
		Sent: len(s.msgs), Received: len(r.msgs), Rejected: len(r.rejected), ReceiptsIssued: len(r.receipts), ReceiptsHeld: len(s.receipts),
		Unreadable: s.unread + r.unread, SenderNewest: s.newest, ReceiverNewest: r.newest, Issues: []Issue{}, Timelines: []Timeline{}}
	compare(rep, s, r)
	rep.Delays = delays(rep.Timelines)
	sort.SliceStable(rep.Issues, func(i, j int) bool {
		return slices.Index(Findings(), rep.Issues[i].Kind) < slices.Index(Findings(), rep.Issues[j].Kind)
	})
	return rep, nil
}

// originParts splits casenode/<network>/<agency>.
func originParts(origin string) (network, agency string, err error) {
	parts := strings.Split(origin, "/")
	if len(parts) != 3 || parts[0] != "casenode" {
		return "", "", fmt.Errorf("origin %q is not casenode/NETWORK/AGENCY", origin)
	}
	return parts[1], parts[2], nil
}

// readSide reads one log: as the sender's (isSender), its sent messages to
// `to` and the receipts it holds from `to`; as the receiver's, its
// received and rejected messages from `from` and the receipts it issued to
// `from`.
func readSide(l *auditlog.Reader, from, to string, isSender bool) (*side, error) {
	sd := &side{msgs: map[string]*logMsg{}, rejected: map[string]int64{}, receipts: map[string]*logReceipt{}}
	issuer := to // receipts are the receiver's, in both logs
	err := l.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		sd.records, sd.newest = rec.Seq+1, rec.Time
		switch {
		case isSender && rec.Type == auditlog.TypeSent:
			env, _, err := seal.Parse(payload)
			if err != nil {
				sd.unread++
				return nil
			}
			if !slices.Contains(env.Header.To, to) {
				return nil
			}
			sd.add(rec)
		case !isSender && rec.Type == auditlog.TypeReceived && rec.Actor == from:
			sd.add(rec)
		case !isSender && rec.Type == auditlog.TypeRejected && rec.Actor == from && rec.MessageID != "":
			if _, ok := sd.rejected[rec.MessageID]; !ok {
				sd.rejected[rec.MessageID] = rec.Seq
			}
		case rec.Type == auditlog.TypeReceipt && rec.Actor == issuer:
			rc, err := receiptOf(payload)
			if err != nil {
				sd.unread++
				return nil
			}
			if rc.From != issuer || rc.To != from {
				return nil
			}
			if _, dup := sd.receipts[rc.ID]; dup {
				return nil
			}
			sd.receipts[rc.ID] = &logReceipt{index: rec.Seq, at: rec.Time, signed: rc.Time.Time, hash: sha256.Sum256(payload),
				kind: rc.Kind, msgID: rc.MessageID, msgHash: rc.MessageHash}
			sd.rorder = append(sd.rorder, rc.ID)
		}
		return nil
	})
	return sd, err
}

// add indexes a message record.
func (sd *side) add(rec *auditlog.Record) {
	if rec.MessageID == "" {
		sd.unread++
		return
	}
	if _, dup := sd.msgs[rec.MessageID]; dup {
		return
	}
	sd.msgs[rec.MessageID] = &logMsg{index: rec.Seq, at: rec.Time, hash: rec.PayloadHash, hub: rec.Hub}
	sd.order = append(sd.order, rec.MessageID)
}

// compare fills the report's issues and timelines.
func compare(rep *Report, s, r *side) {
	hexHash := func(h [sha256.Size]byte) string { return fmt.Sprintf("%x", h) }
	for _, id := range s.order {
		sm := s.msgs[id]
		rm := r.msgs[id]
		switch {
		case rm == nil:
			if _, ok := r.rejected[id]; ok {
				continue
			}
			d := fmt.Sprintf("sent at %s; the receiver's log neither received nor rejected it", stamp(sm.at))
			if sm.at.After(r.newest) {
				d += fmt.Sprintf(" (sent after the receiver's newest record, %s: it may still be on its way)", stamp(r.newest))
			}
			rep.Issues = append(rep.Issues, Issue{Kind: SentNotReceived, MessageID: id, SenderIndex: sm.index, ReceiverIndex: -1, Detail: d})
		case rm.hash != sm.hash:
			rep.Issues = append(rep.Issues, Issue{Kind: HashMismatch, MessageID: id, SenderIndex: sm.index, ReceiverIndex: rm.index,
				Detail: fmt.Sprintf("sent with SHA-256 %s, received with SHA-256 %s", hexHash(sm.hash), hexHash(rm.hash))})
		default:
			rep.Paired++
			tl := Timeline{MessageID: id, SenderIndex: sm.index, ReceiverIndex: rm.index, Sent: sm.at, Received: rm.at}
			if rm.hub != nil {
				stored := rm.hub.Stored
				tl.Stored, tl.HubSeq = &stored, rm.hub.Seq
			}
			rep.Timelines = append(rep.Timelines, tl)
		}
	}
	for _, id := range r.order {
		if s.msgs[id] == nil {
			rm := r.msgs[id]
			rep.Issues = append(rep.Issues, Issue{Kind: ReceivedNotSent, MessageID: id, SenderIndex: -1, ReceiverIndex: rm.index,
				Detail: fmt.Sprintf("received at %s; the sender's log never sent it to %s", stamp(rm.at), rep.Receiver)})
		}
	}
	timeline := map[string]*Timeline{}
	for i := range rep.Timelines {
		timeline[rep.Timelines[i].MessageID] = &rep.Timelines[i]
	}
	for _, id := range s.rorder {
		sr := s.receipts[id]
		rr := r.receipts[id]
		is := Issue{MessageID: sr.msgID, ReceiptID: id, ReceiptKind: sr.kind, SenderIndex: sr.index, ReceiverIndex: -1}
		switch {
		case rr == nil:
			is.Kind, is.Detail = ReceiptSenderOnly, fmt.Sprintf("the sender's log holds a %s receipt from %s recorded at %s that the receiver's log never issued", sr.kind, rep.Receiver, stamp(sr.at))
		case rr.hash != sr.hash:
			is.Kind, is.ReceiverIndex, is.Detail = HashMismatch, rr.index, "the two logs hold different bytes under this receipt id"
		case s.msgs[sr.msgID] != nil && hexHash(s.msgs[sr.msgID].hash) != sr.msgHash:
			is.Kind, is.ReceiverIndex, is.Detail = HashMismatch, rr.index, fmt.Sprintf("the receipt binds SHA-256 %s, but the message sent has SHA-256 %s", sr.msgHash, hexHash(s.msgs[sr.msgID].hash))
		default:
			if tl := timeline[sr.msgID]; tl != nil {
				signed, at := sr.signed, sr.at
				switch sr.kind {
				case protocol.ReceiptDelivered:
					tl.Delivered, tl.DeliveredAtSender = &signed, &at
				case protocol.ReceiptRead:
					tl.Read, tl.ReadAtSender = &signed, &at
				}
			}
			continue
		}
		rep.Issues = append(rep.Issues, is)
	}
	for _, id := range r.rorder {
		if s.receipts[id] == nil {
			rr := r.receipts[id]
			d := fmt.Sprintf("the receiver's log issued a %s receipt at %s that the sender's log never got", rr.kind, stamp(rr.at))
			if rr.at.After(s.newest) {
				d += fmt.Sprintf(" (after the sender's newest record, %s: it may still be on its way)", stamp(s.newest))
			}
			rep.Issues = append(rep.Issues, Issue{Kind: ReceiptReceiverOnly, MessageID: rr.msgID, ReceiptID: id, ReceiptKind: rr.kind, SenderIndex: -1, ReceiverIndex: rr.index, Detail: d})
		}
	}
}

// stamp formats a time as the wire does.
func stamp(t time.Time) string { return protocol.NewTime(t).String() }

// delays sums up the timelines.
func delays(tls []Timeline) []Delay {
	type span struct {
		name string
		d    func(tl *Timeline) (time.Duration, bool)
	}
	since := func(a time.Time, b *time.Time) (time.Duration, bool) {
		if b == nil {
			return 0, false
		}
		return b.Sub(a), true
	}
	spans := []span{
		{"sent→stored", func(tl *Timeline) (time.Duration, bool) { return since(tl.Sent, tl.Stored) }},
		{"stored→received", func(tl *Timeline) (time.Duration, bool) {
			if tl.Stored == nil {
				return 0, false
			}
			return tl.Received.Sub(*tl.Stored), true
		}},
		{"sent→received", func(tl *Timeline) (time.Duration, bool) { return tl.Received.Sub(tl.Sent), true }},
		{"sent→delivered receipt at sender", func(tl *Timeline) (time.Duration, bool) { return since(tl.Sent, tl.DeliveredAtSender) }},
		{"received→read", func(tl *Timeline) (time.Duration, bool) { return since(tl.Received, tl.Read) }},
		{"sent→read receipt at sender", func(tl *Timeline) (time.Duration, bool) { return since(tl.Sent, tl.ReadAtSender) }},
	}
	out := []Delay{}
	for _, sp := range spans {
		var ds []time.Duration
		for i := range tls {
			if d, ok := sp.d(&tls[i]); ok {
				ds = append(ds, d)
			}
		}
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		out = append(out, Delay{Name: sp.name, Count: len(ds), Median: ds[len(ds)/2], P95: ds[(len(ds)*95-1)/100], Max: ds[len(ds)-1]})
	}
	return out
}

// receiptOf decodes the receipt in a compact JWS, strictly, without
// checking the JWS's header and signature: only to pair it, which is all
// Diff does with it (audit verify checks every receipt's signature). It
// is several times cheaper than parsing the JWS, which matters on a log of
// millions of receipts.
func receiptOf(signed []byte) (*protocol.Receipt, error) {
	first, last := bytes.IndexByte(signed, '.'), bytes.LastIndexByte(signed, '.')
	if first < 0 || first == last || len(signed) > maxReceiptJWS {
		return nil, fmt.Errorf("not a compact JWS")
	}
	payload := make([]byte, base64.RawURLEncoding.DecodedLen(last-first-1))
	n, err := base64.RawURLEncoding.Decode(payload, signed[first+1:last])
	if err != nil {
		return nil, err
	}
	return protocol.ParseReceipt(payload[:n])
}
