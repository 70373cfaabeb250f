package auditor_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/console/auditor"
	"github.com/casenode/casenode/node/console/browsertest"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

const (
	dakar = "sn-pj-dakar"
	accra = "gh-ag-accra"
	// caseA has two leads from Dakar and one from Accra; caseB one from
	// Dakar; caseC ten more from Dakar, for a timeline of several pages.
	caseA = "SN/2026/0142"
	caseB = "gh-2026-0007"
	caseC = "gh-2026-0008"
)

var testActor = agency.Actor{Via: agency.ViaProcess, Name: "test"}

// snapshots are the audit logs of two real nodes that exchanged messages
// through a real hub, copied as an auditor receives them.
type snapshots struct {
	dir string
	// dakarLog and accraLog are the copies.
	dakarLog, accraLog string
	// sentA are the ids of Dakar's two messages in case A, replyA the id
	// of Accra's, sentB the id of Dakar's message in case B.
	sentA  []string
	replyA string
	sentB  string
	// secretariat is the network secretariat's public key, which checks
	// delivery proofs.
	secretariat ed25519.PublicKey
	// dakarCard and accraCard are the agencies' member cards (JSON).
	dakarCard, accraCard []byte
}

// fixture builds the snapshots once for the package's tests: a network
// takes seconds to start, and every test only reads the copies (each test
// that needs a changed copy makes its own).
var fixture = sync.OnceValues(func() (*snapshots, error) { return buildSnapshots(fixtureRoot) })

// fixtureRoot is the directory of the snapshots' network, made and
// removed by TestMain.
var fixtureRoot string

func buildSnapshots(root string) (*snapshots, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var err error
	n, err := localnet.Create(ctx, filepath.Join(root, "net"), localnet.Options{Network: "wacap", Kind: protocol.KindClassic},
		localnet.Agency{ID: dakar, Name: "Parquet de Dakar", Country: "SN"}, localnet.Agency{ID: accra, Name: "Attorney-General's Department", Country: "GH"})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	for _, a := range []string{dakar, accra} {
		if _, err := n.Start(ctx, a); err != nil {
			return nil, err
		}
		if err := n.WaitReady(ctx, a, 3); err != nil {
			return nil, err
		}
	}
	s := &snapshots{dir: filepath.Join(root, "logs")}
	send := func(from, to, c string) (string, error) {
		r, err := n.Node(from).Send(ctx, testActor, agency.SendRequest{To: []string{to}, Type: protocol.TypeLead, Case: c, Body: protocol.Example(protocol.TypeLead)})
		if err != nil {
			return "", err
		}
		return r.ID, nil
	}
	var sentC []string
	for _, c := range []string{caseA, caseB, caseA, caseC, caseC, caseC, caseC, caseC, caseC, caseC, caseC, caseC, caseC} {
		id, err := send(dakar, accra, c)
		if err != nil {
			return nil, err
		}
		switch c {
		case caseA:
			s.sentA = append(s.sentA, id)
		case caseB:
			s.sentB = id
		default:
			sentC = append(sentC, id)
		}
	}
	if s.replyA, err = send(accra, dakar, caseA); err != nil {
		return nil, err
	}
	has := func(node string, ids ...string) func() bool {
		return func() bool {
			ms, _ := n.Node(node).Inbox(ctx, agency.InboxQuery{})
			for _, id := range ids {
				if !slices.ContainsFunc(ms, func(m *agency.MessageSummary) bool { return m.ID == id }) {
					return false
				}
			}
			return true
		}
	}
	if err := waitFor(ctx, has(accra, append(append(slices.Clone(s.sentA), s.sentB), sentC...)...)); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, has(dakar, s.replyA)); err != nil {
		return nil, err
	}
	// Every copy Dakar sent has its receipt in Dakar's log.
	if err := waitFor(ctx, func() bool {
		p, err := n.Node(dakar).Outbox(ctx, agency.OutboxQuery{Pending: true})
		return err == nil && len(p) == 0
	}); err != nil {
		return nil, err
	}
	s.secretariat = n.SecretariatCard.PublicKey()
	if s.dakarCard, err = n.Identity(dakar).Card.Marshal(); err != nil {
		return nil, err
	}
	if s.accraCard, err = n.Identity(accra).Card.Marshal(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	s.dakarLog, s.accraLog = filepath.Join(s.dir, dakar+".db"), filepath.Join(s.dir, accra+".db")
	for a, path := range map[string]string{dakar: s.dakarLog, accra: s.accraLog} {
		err := durable.ReplaceFunc(path, 0o600, func(w io.Writer) error {
			_, err := n.Node(a).AuditSnapshot(w)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func TestMain(m *testing.M) {
	var err error
	if fixtureRoot, err = os.MkdirTemp("", "auditor-test-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(fixtureRoot)
	os.Exit(code)
}

// snaps returns the package's snapshots.
func snaps(t *testing.T) *snapshots {
	t.Helper()
	s, err := fixture()
	if err != nil {
		t.Fatalf("build the audit logs of a real network: %v", err)
	}
	return s
}

// copyLog copies a log file into the test's directory, under name.
func copyLog(t *testing.T, src, name string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// indexOf returns the index of the record of type typ about message id.
func indexOf(t *testing.T, path string, typ auditlog.Type, id string) int64 {
	t.Helper()
	r, err := auditlog.OpenReader(path, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	found := int64(-1)
	r.Iterate(0, func(rec *auditlog.Record, _ []byte) error {
		if rec.Type == typ && rec.MessageID == id && found < 0 {
			found = rec.Seq
		}
		return nil
	})
	if found < 0 {
		t.Fatalf("no %s record of message %s in %s", typ, id, path)
	}
	return found
}

// flipPayload changes one byte of record i's payload in the file at path,
// as someone editing the file would: the record's payload hash no longer
// matches.
func flipPayload(t *testing.T, path string, i int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("payloads"))
		k := make([]byte, 8)
		for j := range 8 {
			k[7-j] = byte(i >> (8 * j))
		}
		v := slices.Clone(b.Get(k))
		v[len(v)/2] ^= 0x01
		return b.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// deleteRecord removes record i from the file at path, as someone hiding
// a message would.
func deleteRecord(t *testing.T, path string, i int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		k := make([]byte, 8)
		for j := range 8 {
			k[7-j] = byte(i >> (8 * j))
		}
		return tx.Bucket([]byte("records")).Delete(k)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hashFiles returns the SHA-256 of each file.
func hashFiles(t *testing.T, paths ...string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = sha256.Sum256(b)
	}
	return m
}

// serve starts the console over paths and returns it and its address.
func serve(t *testing.T, paths ...string) (*auditor.Server, string) {
	t.Helper()
	srv, err := auditor.Open(paths, auditor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, browsertest.Serve(t, onLoopback{srv})
}

// onLoopback is the console listening on a free loopback port, as
// 'casenode audit serve' does by default.
type onLoopback struct{ *auditor.Server }

func (s onLoopback) Listen() error { return s.Server.Listen("127.0.0.1:0") }
