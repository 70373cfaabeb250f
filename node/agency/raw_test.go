package agency_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rawPublisher publishes bytes on the hub with an agency's credentials,
// as a misbehaving or hostile member could: only the hub's permissions
// stand in its way.
type rawPublisher struct {
	w      *testNetwork
	agency string
	nc     *nats.Conn
	js     jetstream.JetStream
}

func (w *testNetwork) raw(agency string) *rawPublisher {
	w.t.Helper()
	nkey, err := nats.NkeyOptionFromSeed(w.nodes[agency].creds)
	if err != nil {
		w.t.Fatal(err)
	}
	nc, err := nats.Connect("nats://"+w.listen, nkey, nats.CustomInboxPrefix(protocol.InboxPrefix(agency)))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		w.t.Fatal(err)
	}
	return &rawPublisher{w: w, agency: agency, nc: nc, js: js}
}

// publish publishes data to agency to as a message of type t, with a
// fresh Nats-Msg-Id in a node's form so that the hub does not drop it as
// a duplicate.
func (p *rawPublisher) publish(to string, t protocol.MessageType, data []byte) {
	p.w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.js.Publish(ctx, protocol.IngestSubject(p.w.network, p.agency, to, t), data, jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), to)))
	if err != nil {
		p.w.t.Fatalf("raw publish: %v", err)
	}
}

// sealAs seals an example body of type t from id to the cards of agencies
// in the network, with options o.
func (w *testNetwork) sealAs(id *identity.Identity, t protocol.MessageType, o seal.Options, to ...string) *seal.Sealed {
	w.t.Helper()
	var cards []*protocol.MemberCard
	for _, a := range to {
		cards = append(cards, w.nodes[a].id.Card)
	}
	s, err := seal.Seal(id, cards, t, protocol.Example(t), o)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// auditRecord is a record of an audit log, with its payload.
type auditRecord struct {
	*auditlog.Record
	Payload []byte
}

// audit returns the records of agency's audit log, read from a snapshot
// the running node makes.
func (w *testNetwork) audit(agency string) []auditRecord {
	w.t.Helper()
	var buf bytes.Buffer
	if _, err := w.node(agency).AuditSnapshot(&buf); err != nil {
		w.t.Fatal(err)
	}
	return readAudit(w.t, buf.Bytes())
}

// readAudit reads every record of an audit log snapshot.
func readAudit(t testing.TB, snapshot []byte) []auditRecord {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	if err := os.WriteFile(path, snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []auditRecord
	err = r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		out = append(out, auditRecord{Record: rec, Payload: append([]byte(nil), payload...)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// receiptsIn returns the receipts in records, signed by agency from.
func receiptsIn(t *testing.T, recs []auditRecord, from string) []*protocol.Receipt {
	t.Helper()
	var out []*protocol.Receipt
	for _, r := range recs {
		if r.Type != auditlog.TypeReceipt || r.Actor != from {
			continue
		}
		p, err := jws.Parse(r.Payload, protocol.ReceiptJWSType, 1<<16)
		if err != nil {
			t.Fatalf("receipt record %d: %v", r.Seq, err)
		}
		rc, err := protocol.ParseReceipt(p.Payload)
		if err != nil {
			t.Fatalf("receipt record %d: %v", r.Seq, err)
		}
		out = append(out, rc)
	}
	return out
}

// drained waits until agency's consumer at the hub has nothing left to
// deliver and nothing waiting for an acknowledgement: the node has handled
// everything published to it.
func (w *testNetwork) drained(agency string) {
	w.t.Helper()
	cons, err := w.raw(agency).js.Consumer(context.Background(), protocol.StreamName(w.network), protocol.ConsumerName(agency))
	if err != nil {
		w.t.Fatal(err)
	}
	poll.Until(w.t, 20*time.Second, agency+" to handle everything", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	})
}

// rejectedAs returns the rejected records of agency's audit log with reason.
func (w *testNetwork) rejectedAs(agency string, reason protocol.Reason) []*auditlog.Rejection {
	w.t.Helper()
	var out []*auditlog.Rejection
	for _, r := range w.audit(agency) {
		if r.Type != auditlog.TypeRejected {
			continue
		}
		rj, err := auditlog.DecodeRejection(r.Payload)
		if err != nil {
			w.t.Fatal(err)
		}
		if rj.Reason == reason {
			out = append(out, rj)
		}
	}
	return out
}
