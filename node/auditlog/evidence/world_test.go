package evidence_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// world is a network of three for the package's own tests, without a hub:
// the sender whose log the tests write, a recipient, and the secretariat
// that signs the roster.
type world struct {
	t               testing.TB
	sender, to, sec *identity.Identity
	intruder        *identity.Identity // another key claiming to be the recipient
	t0              time.Time
	roster          []byte
	// witnesses are the witness keys the roster lists.
	witnesses []string
}

const network = "wacap"

func newWorld(t testing.TB) *world {
	t.Helper()
	t0 := time.Now().Add(-time.Hour).UTC()
	gen := func(agency string) *identity.Identity {
		id, err := identity.Generate(network, agency, "Agency "+agency, "SN", protocol.KindClassic, t0.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	w := &world{t: t, sender: gen("sn-pj-dakar"), to: gen("gh-ag"), sec: gen("wacap-sec"), intruder: gen("gh-ag"), t0: t0}
	w.roster = w.signRoster(w.sec, 3)
	return w
}

// signRoster returns the roster of the three, signed by key.
func (w *world) signRoster(key *identity.Identity, serial uint64) []byte {
	w.t.Helper()
	var members []protocol.RosterMember
	for _, id := range []*identity.Identity{w.sender, w.to, w.sec} {
		members = append(members, protocol.RosterMember{Card: *id.Card, Status: protocol.StatusActive, Since: protocol.NewTime(w.t0.Add(-24 * time.Hour))})
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Card.Agency < members[j].Card.Agency })
	r := &protocol.Roster{Version: protocol.RosterVersion, Network: network, Serial: serial, Kind: protocol.KindClassic,
		Issued: protocol.NewTime(w.t0.Add(-time.Hour)), Expires: protocol.NewTime(w.t0.Add(365 * 24 * time.Hour)), Secretariat: w.sec.Agency(), Members: members,
		Witnesses: w.witnesses}
	payload, err := r.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	signed, err := jws.Sign(key.Signing, protocol.RosterType, nil, payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return signed
}

// message seals a message from the sender to the recipient.
func (w *world) message() *seal.Sealed {
	w.t.Helper()
	s, err := seal.Seal(w.sender, []*protocol.MemberCard{w.to.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{Now: w.t0})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// receipt is the record of a receipt of kind about m, signed by key as the
// recipient, with edit applied to it first.
func (w *world) receipt(key *identity.Identity, m *seal.Sealed, kind protocol.ReceiptKind, at time.Time, edit func(*protocol.Receipt)) auditlog.Entry {
	w.t.Helper()
	h := sha256.Sum256(m.Raw)
	r := &protocol.Receipt{Version: protocol.ReceiptVersion, ID: protocol.NewMessageID(at), Network: network, From: w.to.Agency(), To: w.sender.Agency(),
		MessageID: m.Header.ID, MessageHash: hex.EncodeToString(h[:]), Kind: kind, Time: protocol.NewTime(at)}
	if edit != nil {
		edit(r)
	}
	payload, err := r.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	signed, err := jws.Sign(key.Signing, protocol.ReceiptJWSType, nil, payload)
	if err != nil {
		w.t.Fatal(err)
	}
	return auditlog.Entry{Type: auditlog.TypeReceipt, Actor: r.From, MessageID: r.MessageID, Payload: signed}
}

// sent is the sent record of m.
func sent(m *seal.Sealed) auditlog.Entry {
	return auditlog.Entry{Type: auditlog.TypeSent, Actor: "prosecutor-awa", MessageID: m.Header.ID, Payload: m.Raw}
}

// log writes the sender's log: the recipient's card, the roster, then
// entries, and a checkpoint when the log closes. It returns the path.
func (w *world) log(entries ...auditlog.Entry) string {
	w.t.Helper()
	return w.logOf(w.sender, w.to, entries...)
}

// logOf writes the log of own, which knows peer's card and the roster,
// then entries.
func (w *world) logOf(own, peer *identity.Identity, entries ...auditlog.Entry) string {
	w.t.Helper()
	path := filepath.Join(w.t.TempDir(), auditlog.FileName)
	l, err := auditlog.Open(path, auditlog.Options{Card: own.Card, Key: own.Signing})
	if err != nil {
		w.t.Fatal(err)
	}
	card, err := peer.Card.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	entries = append([]auditlog.Entry{{Type: auditlog.TypeKey, Actor: peer.Agency(), Payload: card},
		{Type: auditlog.TypeRoster, Actor: w.sec.Agency(), Payload: w.roster}}, entries...)
	for _, e := range entries {
		if _, err := l.Append(context.Background(), e); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// prove writes a log of entries and proves the delivery of m from it.
func (w *world) prove(m *seal.Sealed, entries ...auditlog.Entry) (*evidence.Delivery, error) {
	w.t.Helper()
	r, err := auditlog.OpenReader(w.log(entries...), auditlog.ReadOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Close()
	return evidence.ProveDelivery(r, m.Header.ID, "")
}
