package hub

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testTree is an RFC 6962 tree in memory, of records "<seed> <i>".
type testTree struct{ hashes []tlog.Hash }

func newTestTree(t *testing.T, seed string, n int) *testTree {
	t.Helper()
	tr := &testTree{}
	for i := range n {
		leaf := tlog.RecordHash([]byte(fmt.Sprintf("%s %d", seed, i)))
		hs, err := tlog.StoredHashesForRecordHash(int64(i), leaf, tr)
		if err != nil {
			t.Fatal(err)
		}
		tr.hashes = append(tr.hashes, hs...)
	}
	return tr
}

func (tr *testTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = tr.hashes[x]
	}
	return out, nil
}

func (tr *testTree) root(t *testing.T, n int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, tr)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (tr *testTree) proof(t *testing.T, n, old int64) tlog.TreeProof {
	t.Helper()
	p, err := tlog.ProveTree(n, old, tr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkpointSigner is the note signer of an agency's log: key under origin.
func checkpointSigner(t testing.TB, origin string, key ed25519.PrivateKey) note.Signer {
	t.Helper()
	pub := key.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(origin+"\n\x01"), pub...))
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", origin, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...)))
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signWith signs the checkpoint of size and root with s.
func signWith(t testing.TB, s note.Signer, size int64, root tlog.Hash) []byte {
	t.Helper()
	text := fmt.Sprintf("%s\n%d\n%s\n", s.Name(), size, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// signCheckpoint signs the checkpoint of origin, size and root with key,
// as an agency's audit log does.
func signCheckpoint(t testing.TB, origin string, size int64, root tlog.Hash, key ed25519.PrivateKey) []byte {
	t.Helper()
	return signWith(t, checkpointSigner(t, origin, key), size, root)
}

// witnessAnswer is a witness's answer: status and body.
type witnessAnswer struct {
	status int
	body   string
	ctype  string
}

// askWitness sends an add-checkpoint request on agency's witness subject
// over c.
func askWitness(t testing.TB, c *agencyConn, agency string, req *witness.Request) witnessAnswer {
	t.Helper()
	msg, err := c.nc.RequestMsg(&nats.Msg{Subject: protocol.WitnessSubject(testNetwork, agency), Data: req.Marshal()}, 10*time.Second)
	if err != nil {
		t.Fatalf("witness request: %v", err)
	}
	st, err := strconv.Atoi(msg.Header.Get(witness.StatusHeader))
	if err != nil {
		t.Fatalf("witness answer without status: %q", msg.Header)
	}
	return witnessAnswer{status: st, body: string(msg.Data), ctype: msg.Header.Get("Content-Type")}
}

func (n *testNet) witnessVerifiers(t *testing.T) []*witness.Verifier {
	t.Helper()
	vs, err := witness.Verifiers(n.hub.Roster().Roster.Witnesses)
	if err != nil || len(vs) != 1 {
		t.Fatalf("roster witnesses %v: %v", n.hub.Roster().Roster.Witnesses, err)
	}
	return vs
}

// wantCosigned checks that a is a 200 whose cosignature of signed verifies
// with the roster's witness key.
func (n *testNet) wantCosigned(t *testing.T, a witnessAnswer, signed []byte) {
	t.Helper()
	if a.status != witness.StatusOK {
		t.Fatalf("answer %d %q, want 200", a.status, a.body)
	}
	cosigs, _, err := witness.CheckCosigned(append(bytes.Clone(signed), a.body...), n.witnessVerifiers(t))
	if err != nil || len(cosigs) != 1 || cosigs[0].Witness != protocol.HubWitnessName(testNetwork) {
		t.Fatalf("cosignature %q: %v, %+v", a.body, err, cosigs)
	}
	if d := time.Since(cosigs[0].Time); d < -time.Minute || d > time.Minute {
		t.Fatalf("cosignature time %s, want now", cosigs[0].Time)
	}
}

func TestWitnessCosignsAndKeepsItsStateAcrossRestarts(t *testing.T) {
	const agency = "gh-ag"
	n := newTestNet(t, agency)
	key := n.ids[agency].Signing
	origin := protocol.LogOrigin(testNetwork, agency)
	tr := newTestTree(t, "log", 9)
	c := n.connect(t, agency)

	cp3 := signCheckpoint(t, origin, 3, tr.root(t, 3), key)
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Old: 0, Checkpoint: cp3}), cp3)

	// The node thinks the witness never cosigned: 409 with the size.
	cp5 := signCheckpoint(t, origin, 5, tr.root(t, 5), key)
	a := askWitness(t, c, agency, &witness.Request{Old: 0, Checkpoint: cp5})
	if a.status != witness.StatusConflict || a.body != "3\n" || a.ctype != "text/x.tlog.size" {
		t.Fatalf("answer %+v, want 409 \"3\\n\" text/x.tlog.size", a)
	}
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Old: 3, Proof: tr.proof(t, 5, 3), Checkpoint: cp5}), cp5)

	stored, err := n.hub.WitnessCheckpoint(ctxT(t), agency)
	if err != nil || !bytes.HasPrefix(stored, cp5) || len(stored) == len(cp5) {
		t.Fatalf("stored state %q (%v), want checkpoint 5 with its cosignature", stored, err)
	}

	n.hub.Close()
	n.start(t)
	after, err := n.hub.WitnessCheckpoint(ctxT(t), agency)
	if err != nil || !bytes.Equal(after, stored) {
		t.Fatalf("after a restart the witness holds %q (%v), want %q", after, err, stored)
	}
	c = n.connect(t, agency)
	a = askWitness(t, c, agency, &witness.Request{Old: 3, Proof: tr.proof(t, 9, 3), Checkpoint: signCheckpoint(t, origin, 9, tr.root(t, 9), key)})
	if a.status != witness.StatusConflict || a.body != "5\n" {
		t.Fatalf("after a restart: answer %+v, want 409 with size 5", a)
	}
	cp9 := signCheckpoint(t, origin, 9, tr.root(t, 9), key)
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Old: 5, Proof: tr.proof(t, 9, 5), Checkpoint: cp9}), cp9)
	// The same checkpoint again is cosigned again (a lost answer).
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Old: 9, Checkpoint: cp9}), cp9)
	if alarms, err := n.hub.WitnessAlarms(ctxT(t)); err != nil || len(alarms) != 0 {
		t.Fatalf("alarms %+v (%v), want none", alarms, err)
	}
}

func TestWitnessRefusesForksAndRollbacksAndRecordsThem(t *testing.T) {
	const agency = "gh-ag"
	n := newTestNet(t, agency)
	key := n.ids[agency].Signing
	origin := protocol.LogOrigin(testNetwork, agency)
	tr, other := newTestTree(t, "log", 9), newTestTree(t, "replaced", 9)
	c := n.connect(t, agency)
	cp5 := signCheckpoint(t, origin, 5, tr.root(t, 5), key)
	n.wantCosigned(t, askWitness(t, c, agency, &witness.Request{Checkpoint: cp5}), cp5)
	state, err := n.hub.WitnessCheckpoint(ctxT(t), agency)
	if err != nil {
		t.Fatal(err)
	}

	// A fork: another checkpoint of size 5.
	fork := signCheckpoint(t, origin, 5, other.root(t, 5), key)
	a := askWitness(t, c, agency, &witness.Request{Old: 5, Checkpoint: fork})
	if a.status != witness.StatusUnprocessable || !strings.Contains(a.body, "fork") {
		t.Fatalf("fork: answer %+v, want 422 fork", a)
	}
	// A larger checkpoint of the other history: its proof cannot verify.
	big := signCheckpoint(t, origin, 9, other.root(t, 9), key)
	a = askWitness(t, c, agency, &witness.Request{Old: 5, Proof: other.proof(t, 9, 5), Checkpoint: big})
	if a.status != witness.StatusUnprocessable {
		t.Fatalf("inconsistent: answer %+v, want 422", a)
	}
	// A rollback: a smaller checkpoint, with the witness's size (400) or
	// another (409).
	small := signCheckpoint(t, origin, 4, tr.root(t, 4), key)
	if a = askWitness(t, c, agency, &witness.Request{Old: 5, Checkpoint: small}); a.status != witness.StatusBadRequest {
		t.Fatalf("rollback: answer %+v, want 400", a)
	}
	if a = askWitness(t, c, agency, &witness.Request{Old: 0, Checkpoint: small}); a.status != witness.StatusConflict || a.body != "5\n" {
		t.Fatalf("rollback: answer %+v, want 409 with size 5", a)
	}

	// Another fork of the same size: refused, but the first one stays the
	// evidence, and the bucket does not grow.
	fork2 := signCheckpoint(t, origin, 5, newTestTree(t, "again", 5).root(t, 5), key)
	if a = askWitness(t, c, agency, &witness.Request{Old: 5, Checkpoint: fork2}); a.status != witness.StatusUnprocessable {
		t.Fatalf("second fork: answer %+v, want 422", a)
	}

	if after, err := n.hub.WitnessCheckpoint(ctxT(t), agency); err != nil || !bytes.Equal(after, state) {
		t.Fatalf("the refusals changed the witness's state: %q (%v)", after, err)
	}
	alarms, err := n.hub.WitnessAlarms(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]WitnessAlarm{}
	for _, al := range alarms {
		kinds[al.Kind] = al
		if al.Agency != agency || al.Cosigned != string(state) {
			t.Errorf("alarm %+v: want agency %s and the cosigned checkpoint as evidence", al, agency)
		}
	}
	if len(alarms) != 3 || kinds[witness.EvidenceFork].Submitted != string(fork) ||
		kinds[witness.EvidenceInconsistent].Submitted != string(big) || kinds[witness.EvidenceRollback].Submitted != string(small) {
		t.Fatalf("alarms %+v, want a fork, an inconsistent and a rollback with the refused checkpoints", alarms)
	}
	if len(kinds[witness.EvidenceInconsistent].Proof) != len(other.proof(t, 9, 5)) {
		t.Errorf("the inconsistent alarm keeps proof %v", kinds[witness.EvidenceInconsistent].Proof)
	}
	n.waitLog(t, "contradicts the checkpoint the hub cosigned", "agency="+agency, "kind=fork")
	// The secretariat reads the same with the admin credentials.
	nc, _, err := ConnectAdminDir(n.dir, n.hub.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got, err := FetchWitnessAlarms(ctxT(t), nc, testNetwork); err != nil || len(got) != 3 || got[0].Submitted != alarms[0].Submitted {
		t.Fatalf("admin read of the alarms: %d (%v), want the hub's 3", len(got), err)
	}
	// The secretariat's console sees the witnessed size on the members
	// page and the contradictions among the hub's alarms.
	ms, err := n.hub.Members(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Agency == agency && (m.Witnessed != 5 || m.WitnessedAt.IsZero() || len(m.Contradicted) != 3) {
			t.Errorf("members page: %s witnessed %d at %v, contradicted %v; want 5, a time, 3 kinds", agency, m.Witnessed, m.WitnessedAt, m.Contradicted)
		}
	}
	hubAlarms, err := n.hub.Alarms(ctxT(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	forks := 0
	for _, al := range hubAlarms {
		if al.Kind == AlarmWitnessFork && al.Agency == agency {
			forks++
		}
	}
	if forks != 3 {
		t.Errorf("hub alarms %+v: want 3 witness alarms for %s", hubAlarms, agency)
	}
}

func TestWitnessRefusesWhatItCannotVouchFor(t *testing.T) {
	const a, b = "gh-ag", "ng-ag"
	n := newTestNet(t, a, b)
	tr := newTestTree(t, "log", 5)
	c := n.connect(t, a)
	for _, tc := range []struct {
		name   string
		req    *witness.Request
		status int
	}{
		{"another agency's log, signed by it", &witness.Request{Checkpoint: signCheckpoint(t, protocol.LogOrigin(testNetwork, b), 5, tr.root(t, 5), n.ids[b].Signing)}, witness.StatusNotFound},
		{"own origin, another agency's key", &witness.Request{Checkpoint: signCheckpoint(t, protocol.LogOrigin(testNetwork, a), 5, tr.root(t, 5), n.ids[b].Signing)}, witness.StatusForbidden},
		{"proof lines from size 0", &witness.Request{Proof: tr.proof(t, 5, 3), Checkpoint: signCheckpoint(t, protocol.LogOrigin(testNetwork, a), 5, tr.root(t, 5), n.ids[a].Signing)}, witness.StatusUnprocessable},
		{"old size beyond the checkpoint", &witness.Request{Old: 6, Checkpoint: signCheckpoint(t, protocol.LogOrigin(testNetwork, a), 5, tr.root(t, 5), n.ids[a].Signing)}, witness.StatusBadRequest},
	} {
		if got := askWitness(t, c, a, tc.req); got.status != tc.status {
			t.Errorf("%s: answer %+v, want %d", tc.name, got, tc.status)
		}
	}
	// A tampered signature by the right key name.
	good := signCheckpoint(t, protocol.LogOrigin(testNetwork, a), 5, tr.root(t, 5), n.ids[a].Signing)
	bad := bytes.Clone(good)
	bad[len(bad)-5] ^= 'A' ^ 'B'
	if got := askWitness(t, c, a, &witness.Request{Checkpoint: bad}); got.status != witness.StatusForbidden && got.status != witness.StatusBadRequest {
		t.Errorf("tampered signature: answer %+v, want 403", got)
	}
	if got := askWitness(t, c, a, &witness.Request{Checkpoint: []byte("not a note")}); got.status != witness.StatusBadRequest {
		t.Errorf("junk: answer %+v, want 400", got)
	}
	// An agency may ask only on its own subject.
	if err := c.nc.Publish(protocol.WitnessSubject(testNetwork, b), (&witness.Request{Checkpoint: good}).Marshal()); err != nil {
		t.Fatal(err)
	}
	c.waitError(t, "Permissions Violation", protocol.WitnessSubject(testNetwork, b))
	if s, err := n.hub.WitnessCheckpoint(ctxT(t), b); err != nil || s != nil {
		t.Fatalf("witness state of %s: %q (%v), want none", b, s, err)
	}
}

// TestWitnessChecksTheAccountAgainstTheSubject: the witness answers only
// a request whose account, which the server stamps, is the agency its
// subject names. Members cannot produce anything else (their accounts
// import only their own witness subject), so the handler is called
// directly: one that went further would use the state it was not given.
func TestWitnessChecksTheAccountAgainstTheSubject(t *testing.T) {
	const a, b = "gh-ag", "ng-ag"
	var logs logBuffer
	w := &witnessService{network: testNetwork, log: slog.New(slog.NewTextHandler(&logs, nil))}
	for _, tc := range []struct {
		name   string
		header nats.Header
	}{
		{"another member's account", nats.Header{server.ClientInfoHdr: {`{"acc":"` + memberAccount(b) + `"}`}}},
		{"no account information", nil},
		{"the hub's account", nats.Header{server.ClientInfoHdr: {`{"acc":"HUB"}`}}},
	} {
		before := logs.String()
		w.handle(&nats.Msg{Subject: protocol.WitnessSubject(testNetwork, a), Reply: responsePrefix + "x", Header: tc.header, Data: []byte("old 0\n\n")})
		if logged := strings.TrimPrefix(logs.String(), before); !strings.Contains(logged, "witness request refused: its subject names another agency than the account it came from") {
			t.Errorf("%s: logged %q, want a refusal", tc.name, logged)
		}
	}
}
