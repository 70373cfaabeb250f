package agency

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Peer witnesses (protocol/peerwitness.go, docs/AUDIT.md): this node asks
// the agencies of node.json's witness.peers to cosign each new checkpoint
// of its audit log, and answers the other members' requests as a witness
// of their logs. Both travel through the hub's stream as signed messages;
// none is an audit record (a witness exchange would otherwise make a new
// checkpoint to witness, for ever), but a request or answer that fails its
// checks is recorded as a rejection, as any input.

// AlarmPeerWitness: as a peer witness, this node refused a checkpoint of
// another member's log as a fork, a rollback or an inconsistent one: that
// agency's log was replaced or rewritten.
const AlarmPeerWitness = "peer-witness"

// PeerWitnessStatus is what the node knows of the witnessing of its log by
// one peer.
type PeerWitnessStatus struct {
	// Agency is the peer.
	Agency string `json:"agency"`
	// Cosigned is the size of the newest checkpoint the peer cosigned.
	Cosigned int64 `json:"cosigned"`
	// LastError is why the peer's last answer was a refusal, if it was.
	LastError string `json:"last_error,omitempty"`
}

// peerWitnessing is the node's state of peer witnessing.
type peerWitnessing struct {
	// serve serializes the checks of requests against the stored state.
	serve sync.Mutex

	mu    sync.Mutex
	js    jetstream.JetStream // the hub connection's, nil while not running
	peers map[string]*peerProgress
}

// peerProgress is the witnessing of this node's log by one peer.
type peerProgress struct {
	st    PeerWitnessStatus
	known int64     // the size the peer cosigned, as far as the node knows
	next  time.Time // no request before then
	fails int
}

// PeerWitnesses returns what the node knows of the witnessing of its log
// by the peers node.json names.
func (n *Node) PeerWitnesses() []PeerWitnessStatus {
	n.peers.mu.Lock()
	defer n.peers.mu.Unlock()
	var out []PeerWitnessStatus
	for _, a := range n.cfg.Witness.Peers {
		if p := n.peers.peers[a]; p != nil {
			out = append(out, p.st)
		} else {
			out = append(out, PeerWitnessStatus{Agency: a})
		}
	}
	return out
}

// progress returns the progress with peer, made on first use.
func (w *peerWitnessing) progress(peer string) *peerProgress {
	if w.peers == nil {
		w.peers = map[string]*peerProgress{}
	}
	p := w.peers[peer]
	if p == nil {
		p = &peerProgress{st: PeerWitnessStatus{Agency: peer}}
		w.peers[peer] = p
	}
	return p
}

// peerWitnessCheckpoints sends the newest checkpoint of the audit log to
// each peer that has not cosigned it, at most once per witness interval
// and peer (sooner after a conflict answer), until ctx ends. Answers come
// through the inbox (peerAnswer).
func (n *Node) peerWitnessCheckpoints(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) {
	n.peers.mu.Lock()
	n.peers.js = js
	n.peers.mu.Unlock()
	defer func() {
		n.peers.mu.Lock()
		n.peers.js = nil
		n.peers.mu.Unlock()
	}()
	if len(n.cfg.Witness.Peers) == 0 {
		<-ctx.Done()
		return
	}
	poll := min(n.o.WitnessInterval, witnessPoll)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
		cp := n.audit.LatestCheckpoint()
		if cp == nil || !nc.IsConnected() || n.inactive() {
			continue
		}
		now := time.Now()
		for _, peer := range n.cfg.Witness.Peers {
			n.peers.mu.Lock()
			p := n.peers.progress(peer)
			due := cp.Size > p.st.Cosigned && !now.Before(p.next)
			old := p.known
			if due {
				p.next = now.Add(n.o.WitnessInterval << min(p.fails, 3))
			}
			n.peers.mu.Unlock()
			if !due {
				continue
			}
			if old > cp.Size {
				old = 0
			}
			if err := n.askPeer(ctx, js, peer, cp, old); err != nil {
				n.log.Warn("peer witness: request not sent", "peer", peer, "size", cp.Size, "err", err)
			}
		}
	}
}

// askPeer publishes an add-checkpoint request for cp, with a consistency
// proof from old, to peer.
func (n *Node) askPeer(ctx context.Context, js jetstream.JetStream, peer string, cp *auditlog.Checkpoint, old int64) error {
	req := &witness.Request{Old: old, Checkpoint: cp.Note}
	if old > 0 && old < cp.Size {
		p, err := n.audit.ProveTree(cp.Size, old)
		if err != nil {
			return fmt.Errorf("consistency proof from size %d: %w", old, err)
		}
		req.Proof = p
	}
	return n.publishPeerWitness(ctx, js, &protocol.PeerWitness{To: peer, Kind: protocol.PeerWitnessRequest, Body: string(req.Marshal())})
}

// publishPeerWitness signs pw (its version, id, network, sender and time
// filled in here) and publishes it to its recipient through the hub.
func (n *Node) publishPeerWitness(ctx context.Context, js jetstream.JetStream, pw *protocol.PeerWitness) error {
	now := n.o.Now()
	pw.Version, pw.ID, pw.Network, pw.From, pw.Time = protocol.PeerWitnessVersion, protocol.NewMessageID(now), n.cfg.Network, n.cfg.Agency, protocol.NewTime(now)
	payload, err := pw.Marshal()
	if err != nil {
		return err
	}
	signed, err := jws.Sign(n.ident().Signing, protocol.PeerWitnessType, nil, payload)
	if err != nil {
		return err
	}
	t := protocol.TypePeerWitnessRequest
	if pw.Kind == protocol.PeerWitnessAnswer {
		t = protocol.TypePeerWitnessAnswer
	}
	msg := nats.NewMsg(protocol.IngestSubject(n.cfg.Network, n.cfg.Agency, pw.To, t))
	msg.Data = signed
	msg.Header.Set(jetstream.MsgIDHeader, protocol.PublishID(pw.ID, pw.To))
	ctx, cancel := context.WithTimeout(ctx, witnessRequestTimeout)
	defer cancel()
	_, err = js.PublishMsg(ctx, msg)
	return err
}

// processPeerWitness checks a peer witness request or answer (a worker
// runs it) and acts on it: a request is judged against the state this
// node keeps of the sender's log and answered; an answer's cosignature is
// checked and stored. Both are durable before the job is acknowledged.
// What fails the checks is rejected, and recorded as such.
func (n *Node) processPeerWitness(res *result, rf *rosterInForce, t protocol.MessageType, stored time.Time) {
	raw := res.raw
	if len(raw) > protocol.MaxSignedPeerWitnessSize {
		res.reject(&seal.Error{Reason: protocol.ReasonOversized, Err: fmt.Errorf("peer witness message is %d bytes, over the limit of %d", len(raw), protocol.MaxSignedPeerWitnessSize)})
		return
	}
	p, err := jws.Parse(raw, protocol.PeerWitnessType, protocol.MaxSignedPeerWitnessSize)
	if err != nil {
		res.reject(&seal.Error{Reason: protocol.ReasonMalformed, Err: fmt.Errorf("peer witness message: %w", err)})
		return
	}
	pw, err := protocol.ParsePeerWitness(p.Payload)
	if err != nil {
		res.reject(&seal.Error{Reason: protocol.ReasonMalformed, Err: err})
		return
	}
	res.from, res.id = pw.From, pw.ID
	pub, err := rf.keysAt(judgedAt(pw.Time.Time, stored)).SigningKey(pw.From, p.KeyID)
	if err != nil {
		res.reject(err)
		return
	}
	if err := p.Verify(pub); err != nil {
		res.reject(&seal.Error{Reason: protocol.ReasonBadSignature, Err: fmt.Errorf("peer witness message from %s: %w", pw.From, err)})
		return
	}
	wantKind := protocol.PeerWitnessRequest
	if t == protocol.TypePeerWitnessAnswer {
		wantKind = protocol.PeerWitnessAnswer
	}
	switch {
	case pw.Network != n.cfg.Network || pw.To != n.cfg.Agency:
		res.reject(&seal.Error{Reason: protocol.ReasonNotAddressed, Err: fmt.Errorf("peer witness message from %s is for agency %q of network %q", pw.From, pw.To, pw.Network)})
		return
	case pw.Kind != wantKind:
		res.reject(&seal.Error{Reason: protocol.ReasonMalformed, Err: fmt.Errorf("a peer witness %s published as a %s", pw.Kind, t)})
		return
	}
	if err := n.stampMatches(res, pw.From); err != nil {
		res.reject(err)
		return
	}
	if pw.Kind == protocol.PeerWitnessRequest {
		err = n.witnessPeer(rf, pw)
	} else {
		err = n.peerAnswer(rf, pw)
	}
	if err != nil {
		// Not durable: JetStream delivers it again.
		res.kind, res.retry = kindWitness, err
		return
	}
	res.kind = kindWitness
}

// witnessPeer judges the request pw of a member's log against the state
// this node keeps of that log, records the new state (or the evidence of a
// contradiction) durably, and answers. An error means the state could not
// be read or written: the request is to be tried again.
func (n *Node) witnessPeer(rf *rosterInForce, pw *protocol.PeerWitness) error {
	status, body, size, err := n.judgePeerRequest(rf, pw)
	if err != nil {
		return err
	}
	n.peers.mu.Lock()
	js := n.peers.js
	n.peers.mu.Unlock()
	if js == nil {
		return nil // offline: the requester asks again
	}
	ans := &protocol.PeerWitness{To: pw.From, Kind: protocol.PeerWitnessAnswer, Size: size, Status: status, Body: body}
	if err := n.publishPeerWitness(context.Background(), js, ans); err != nil {
		n.log.Warn("peer witness: answer not sent; the requester asks again", "to", pw.From, "status", status, "err", err)
	}
	return nil
}

// judgePeerRequest is witnessPeer's judgement: the answer's status, body
// and checkpoint size.
func (n *Node) judgePeerRequest(rf *rosterInForce, pw *protocol.PeerWitness) (status int, body string, size int64, err error) {
	req, err := witness.ParseRequest([]byte(pw.Body))
	if err != nil {
		return witness.StatusBadRequest, err.Error() + "\n", 0, nil
	}
	origin := protocol.LogOrigin(n.cfg.Network, pw.From)
	m := rf.roster.Member(pw.From)
	if m == nil || m.Status != protocol.StatusActive {
		return witness.StatusNotFound, fmt.Sprintf("agency %q is not an active member\n", pw.From), 0, nil
	}
	keys := []ed25519.PublicKey{m.Card.PublicKey()}
	for i := range m.Previous {
		if p := &m.Previous[i]; !p.Revoked {
			keys = append(keys, p.PublicKey())
		}
	}
	logKeys, err := witness.LogVerifiers(origin, keys)
	if err != nil {
		return 0, "", 0, err
	}
	n.peers.serve.Lock()
	defer n.peers.serve.Unlock()
	var held *store.PeerWitnessed
	if err := n.store.View(func(tx *store.Tx) error {
		var err error
		held, err = tx.PeerWitnessed(pw.From)
		return err
	}); err != nil {
		return 0, "", 0, err
	}
	var latest *witness.Latest
	var heldCP *witness.Checkpoint
	var heldNote []byte
	if held != nil {
		if heldCP, err = signedCheckpoint(held.Checkpoint); err != nil {
			return 0, "", 0, fmt.Errorf("the stored checkpoint of %s: %w", pw.From, err)
		}
		latest, heldNote = &witness.Latest{Size: heldCP.Size, Root: heldCP.Root}, held.Checkpoint
	}
	v := witness.Check(req, origin, logKeys, latest)
	if v.Checkpoint != nil {
		size = v.Checkpoint.Size
	}
	// Requests travel through a stream and several workers: one made
	// before the request of the checkpoint held may come after it. A
	// smaller checkpoint is evidence of a rollback only in a request made
	// after that one (the requester's signed time); a fork is evidence
	// whenever it comes.
	if v.Evidence == witness.EvidenceRollback && held != nil && !pw.Time.After(held.Requested) {
		v.Evidence = ""
	}
	if v.Evidence != "" {
		if err := n.peerAlarm(pw.From, v, heldNote, req); err != nil {
			return 0, "", 0, err
		}
	}
	switch v.Status {
	case witness.StatusOK:
	case witness.StatusConflict:
		return v.Status, strconv.FormatInt(sizeOfLatest(latest), 10) + "\n", size, nil
	default:
		n.log.Warn("peer witness: request refused", "from", pw.From, "status", v.Status, "reason", v.Reason)
		return v.Status, v.Reason + "\n", size, nil
	}
	if heldCP == nil || heldCP.Size != v.Checkpoint.Size {
		w := &store.PeerWitnessed{Checkpoint: req.Checkpoint, Requested: pw.Time.Time}
		if err := n.store.Commit(func(tx *store.Tx) error { return tx.SetPeerWitnessed(pw.From, w) }); err != nil {
			return 0, "", 0, fmt.Errorf("record the witnessed checkpoint of %s: %w", pw.From, err)
		}
	}
	c, err := n.peerCosigner()
	if err != nil {
		return 0, "", 0, err
	}
	return witness.StatusOK, string(c.Cosign([]byte(v.Checkpoint.Text()), n.o.Now())), size, nil
}

func sizeOfLatest(l *witness.Latest) int64 {
	if l == nil {
		return 0
	}
	return l.Size
}

// signedCheckpoint parses the text of a signed checkpoint, unchecked.
func signedCheckpoint(signed []byte) (*witness.Checkpoint, error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("not a signed note")
	}
	return witness.ParseCheckpointText(string(signed[:i+1]))
}

// peerCosigner is this agency's cosigner as a peer witness: its signing
// key, under its peer witness name.
func (n *Node) peerCosigner() (*witness.Cosigner, error) {
	return witness.NewCosigner(protocol.PeerWitnessName(n.cfg.Network, n.cfg.Agency), n.ident().Signing)
}

// peerAlarm keeps the evidence of a refused checkpoint of agency's log (the
// first of each kind) and raises the node's alarm.
func (n *Node) peerAlarm(agency string, v witness.Verdict, held []byte, req *witness.Request) error {
	a := &store.PeerWitnessAlarm{Agency: agency, Kind: v.Evidence, Detected: n.o.Now().UTC(), Cosigned: string(held), Submitted: string(req.Checkpoint), Old: req.Old}
	if v.Evidence == witness.EvidenceInconsistent {
		for _, h := range req.Proof {
			a.Proof = append(a.Proof, h.String())
		}
	}
	var kept bool
	err := n.store.Commit(func(tx *store.Tx) error {
		var err error
		kept, err = tx.AddPeerWitnessAlarm(a)
		return err
	})
	if err != nil {
		return fmt.Errorf("record the peer witness alarm: %w", err)
	}
	what := fmt.Sprintf("as a peer witness, this node refused a checkpoint of %s's audit log (%s): it contradicts the checkpoint this node cosigned; both are kept as evidence; tell the secretariat", agency, v.Evidence)
	n.alarms.raiseKind(AlarmPeerWitness, what)
	if kept {
		n.log.Error("peer witness: a member's log contradicts the checkpoint this node cosigned", "agency", agency, "kind", v.Evidence, "submitted_size", v.Checkpoint.Size)
	}
	return nil
}

// PeerWitnessAlarms returns the contradictions this node refused as a
// peer witness, with both checkpoints.
func (n *Node) PeerWitnessAlarms() ([]*store.PeerWitnessAlarm, error) {
	var out []*store.PeerWitnessAlarm
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		out, err = tx.PeerWitnessAlarms()
		return err
	})
	return out, err
}

// peerAnswer acts on a peer's answer to this node's request: a
// cosignature, checked with the peer's key of the roster, is stored with
// its checkpoint; a conflict sets the size to prove from; a refusal as a
// fork raises the node's witness alarm.
func (n *Node) peerAnswer(rf *rosterInForce, pw *protocol.PeerWitness) error {
	asked := false
	for _, p := range n.cfg.Witness.Peers {
		asked = asked || p == pw.From
	}
	if !asked {
		n.log.Warn("peer witness: an answer from an agency this node does not ask", "from", pw.From)
		return nil
	}
	n.peers.mu.Lock()
	defer n.peers.mu.Unlock()
	p := n.peers.progress(pw.From)
	switch pw.Status {
	case witness.StatusOK:
		if err := n.storePeerCosignature(rf, pw); err != nil {
			p.st.LastError = err.Error()
			n.log.Warn("peer witness: cosignature not kept", "peer", pw.From, "size", pw.Size, "err", err)
			return nil
		}
		p.st.Cosigned, p.known, p.fails, p.st.LastError = max(p.st.Cosigned, pw.Size), pw.Size, 0, ""
	case witness.StatusConflict:
		size, err := witness.ParseConflict([]byte(pw.Body))
		if err != nil {
			return nil
		}
		if cp := n.audit.LatestCheckpoint(); cp != nil && size > cp.Size {
			n.alarms.raiseKind(AlarmWitness, fmt.Sprintf("peer witness %s cosigned a checkpoint of size %d of this agency's audit log, but the log's newest checkpoint has size %d: the audit log was rolled back or replaced; keep audit.db as evidence and tell the secretariat", pw.From, size, cp.Size))
			p.known = 0
		} else {
			p.known, p.next = size, time.Time{}
		}
	default:
		p.fails++
		p.st.LastError = fmt.Sprintf("refused (%d): %s", pw.Status, limitText([]byte(pw.Body)))
		if pw.Status == witness.StatusUnprocessable {
			n.alarms.raiseKind(AlarmWitness, fmt.Sprintf("peer witness %s refused this log's checkpoint of size %d: %s; keep audit.db as evidence and tell the secretariat", pw.From, pw.Size, limitText([]byte(pw.Body))))
		}
		n.log.Warn("peer witness: checkpoint not cosigned", "peer", pw.From, "size", pw.Size, "status", pw.Status, "reason", string(limitText([]byte(pw.Body))))
	}
	return nil
}

// storePeerCosignature checks a peer's cosignature of this log's
// checkpoint of pw.Size with the peer's key from the roster, and stores it.
func (n *Node) storePeerCosignature(rf *rosterInForce, pw *protocol.PeerWitness) error {
	cp, err := n.audit.CheckpointAt(pw.Size)
	if err != nil {
		return err
	}
	known, err := witness.Verifiers(rf.roster.WitnessKeys(n.cfg.Agency))
	if err != nil {
		return err
	}
	cosigs, _, err := witness.CheckCosigned(append(bytes.Clone(cp.Note), pw.Body...), known)
	if err != nil {
		return err
	}
	var lines []byte
	for _, c := range cosigs {
		if c.Witness == protocol.PeerWitnessName(n.cfg.Network, pw.From) {
			lines = append(lines, c.Line...)
		}
	}
	if lines == nil {
		return fmt.Errorf("no cosignature by %s's key in the roster", pw.From)
	}
	return n.audit.AddCosignatures(pw.Size, lines)
}
