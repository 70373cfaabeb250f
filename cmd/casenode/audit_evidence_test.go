package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// evidenceNet is the exchange the cross-log audit and the delivery proof
// are tested on: Dakar sends Accra three messages (the third also to
// Niamey, whose node never runs), Accra reads the first; Accra sends Dakar
// one. The logs are snapshots of the running nodes and then the stopped
// nodes' own files.
type evidenceNet struct {
	dir                 string
	secretariat         string // the secretariat's member.json
	snapA, snapB        string // snapshots of the running nodes
	liveA, liveB        string // the stopped nodes' audit.db
	read, deliv, toBoth string // message ids: read by Accra; delivered only; to Accra and Niamey
	reverse             string // Accra's message to Dakar
}

const (
	dakar  = "sn-pj-dakar"
	accra  = "gh-ag-accra"
	niamey = "ne-mj"
)

func newEvidenceNet(t *testing.T) *evidenceNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	n, err := localnet.Create(ctx, dir, localnet.Options{Network: "wacap", Kind: protocol.KindClassic},
		localnet.Agency{ID: dakar, Name: "Parquet de Dakar", Country: "SN"}, localnet.Agency{ID: accra, Name: "Attorney-General", Country: "GH"},
		localnet.Agency{ID: niamey, Name: "Ministère de la Justice", Country: "NE"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, a := range []string{dakar, accra} {
		if _, err := n.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := n.WaitReady(ctx, a, 4); err != nil {
			t.Fatal(err)
		}
	}
	who := agency.Actor{Via: agency.ViaProcess, Name: "test"}
	send := func(from string, to ...string) string {
		res, err := n.Node(from).Send(ctx, who, agency.SendRequest{To: to, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	en := &evidenceNet{dir: dir, secretariat: filepath.Join(n.HubDir(), hub.SecretariatDir, "member.json")}
	en.read, en.deliv, en.toBoth = send(dakar, accra), send(dakar, accra), send(dakar, accra, niamey)
	en.reverse = send(accra, dakar)
	state := func(id string) string {
		items, err := n.Node(dakar).Outbox(ctx, agency.OutboxQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.ID == id && it.Copies[accra] != nil {
				return string(it.Copies[accra].State)
			}
		}
		return ""
	}
	poll.Until(t, 60*time.Second, "accra's delivered receipts", func() bool {
		return state(en.read) == "delivered" && state(en.deliv) == "delivered" && state(en.toBoth) == "delivered"
	})
	if _, err := n.Node(accra).Show(ctx, who, en.read); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 60*time.Second, "accra's read receipt", func() bool { return state(en.read) == "read" })
	poll.Until(t, 60*time.Second, "accra's message in dakar's inbox", func() bool {
		in, err := n.Node(dakar).Inbox(ctx, agency.InboxQuery{})
		return err == nil && len(in) == 1
	})
	// The receipt Dakar sent for Accra's message reaches Accra's log before
	// the snapshots, so that the logs agree.
	poll.Until(t, 60*time.Second, "dakar's receipt in accra's outbox", func() bool {
		items, err := n.Node(accra).Outbox(ctx, agency.OutboxQuery{})
		return err == nil && len(items) == 1 && items[0].Copies[dakar] != nil && string(items[0].Copies[dakar].State) == "delivered"
	})
	snap := func(a string) string {
		path := filepath.Join(dir, a+"-snapshot.db")
		var buf bytes.Buffer
		if _, err := n.Node(a).AuditSnapshot(&buf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	en.snapA, en.snapB = snap(dakar), snap(accra)
	for _, a := range []string{dakar, accra} {
		if err := n.Stop(a); err != nil {
			t.Fatal(err)
		}
	}
	en.liveA, en.liveB = filepath.Join(n.AgencyDir(dakar), auditlog.FileName), filepath.Join(n.AgencyDir(accra), auditlog.FileName)
	return en
}

// TestAuditEvidence runs the cross-log audit and the delivery proof on a
// real exchange between real nodes through a real hub.
func TestAuditEvidence(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a hub and nodes")
	}
	en := newEvidenceNet(t)
	t.Run("diff", func(t *testing.T) { testDiff(t, en) })
	t.Run("prove", func(t *testing.T) { testProveDelivery(t, en) })
}

// diffJSON runs audit diff --json and returns its exit code and report.
func diffJSON(t *testing.T, sender, receiver string) (int, *evidence.Report) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "audit", "diff", sender, receiver, "--json")
	var rep evidence.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("audit diff printed no report (exit %d): %v\n%s\n%s", code, err, stdout, stderr)
	}
	return code, &rep
}

// recordOf returns the index of the first record of log db that match
// says is the one.
func recordOf(t *testing.T, db string, match func(rec *auditlog.Record, payload []byte) bool) int64 {
	t.Helper()
	r, err := auditlog.OpenReader(db, auditlog.ReadOptions{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	found := int64(-1)
	err = r.Iterate(0, func(rec *auditlog.Record, payload []byte) error {
		if found < 0 && match(rec, payload) {
			found = rec.Seq
		}
		return nil
	})
	if err != nil || found < 0 {
		t.Fatalf("no such record in %s (%v)", db, err)
	}
	return found
}

// isReceipt matches the receipt of kind about message id.
func isReceipt(id string, kind protocol.ReceiptKind) func(*auditlog.Record, []byte) bool {
	return func(rec *auditlog.Record, payload []byte) bool {
		return rec.Type == auditlog.TypeReceipt && rec.MessageID == id && receiptKind(payload) == kind
	}
}

// receiptKind decodes a receipt's kind, unverified.
func receiptKind(signed []byte) protocol.ReceiptKind {
	p, err := jws.Parse(signed, protocol.ReceiptJWSType, 8<<10)
	if err != nil {
		return ""
	}
	r, err := protocol.ParseReceipt(p.Payload)
	if err != nil {
		return ""
	}
	return r.Kind
}

// tamperedCopy copies db and edits the copy's buckets as someone with the
// file but not the key could.
func tamperedCopy(t *testing.T, db string, edit func(b map[string]*bolt.Bucket) error) string {
	t.Helper()
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tampered.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := helperTamper(path, edit); err != nil {
		t.Fatal(err)
	}
	return path
}

// deleteRecord removes record i and its payload.
func deleteRecord(i int64) func(b map[string]*bolt.Bucket) error {
	return func(b map[string]*bolt.Bucket) error {
		if err := b["records"].Delete(itobHelper(i)); err != nil {
			return err
		}
		return b["payloads"].Delete(itobHelper(i))
	}
}

func testDiff(t *testing.T, en *evidenceNet) {
	// Clean: the snapshots of the running nodes, then the stopped nodes'
	// files opened read-only.
	for _, logs := range [][2]string{{en.snapA, en.snapB}, {en.liveA, en.liveB}} {
		code, rep := diffJSON(t, logs[0], logs[1])
		if code != 0 || len(rep.Issues) != 0 {
			t.Fatalf("diff %v: exit %d, issues %+v", logs, code, rep.Issues)
		}
		if rep.Sender != dakar || rep.Receiver != accra || rep.Sent != 3 || rep.Received != 3 || rep.Paired != 3 || rep.ReceiptsIssued != 4 || rep.ReceiptsHeld != 4 {
			t.Fatalf("diff %v: %+v", logs, rep)
		}
		for _, tl := range rep.Timelines {
			if tl.Delivered == nil || tl.DeliveredAtSender == nil || (tl.MessageID == en.read) != (tl.Read != nil) {
				t.Fatalf("timeline %+v", tl)
			}
			if tl.Received.Before(tl.Sent) || tl.DeliveredAtSender.Before(tl.Received) {
				t.Fatalf("timeline out of order %+v", tl)
			}
			// The hub's stamp on the receiver's record: stored after it
			// was sent (the sender records before it publishes), before
			// the receiver recorded it.
			if tl.Stored == nil || tl.HubSeq == 0 || tl.Stored.Before(tl.Sent) || tl.Received.Before(*tl.Stored) {
				t.Fatalf("timeline without the hub's time, or out of order: %+v", tl)
			}
		}
		if len(rep.Delays) == 0 || rep.Delays[0].Name != "sent→stored" || rep.Delays[0].Count != 3 {
			t.Fatalf("no delays: %+v", rep.Delays)
		}
	}
	code, stdout, _ := runCLI(t, "audit", "diff", en.snapA, en.snapB)
	if code != 0 || !strings.Contains(stdout, "findings:   none") || !strings.Contains(stdout, "3 sent, 3 received, 0 rejected by the receiver, 3 in both logs") {
		t.Fatalf("audit diff text (exit %d):\n%s", code, stdout)
	}
	// Accra → Dakar is a direction of its own.
	code, rep := diffJSON(t, en.snapB, en.snapA)
	if code != 0 || rep.Paired != 1 || rep.Timelines[0].MessageID != en.reverse {
		t.Fatalf("reverse diff: exit %d, %+v", code, rep)
	}

	one := func(t *testing.T, sender, receiver string, exit int, kind evidence.Finding, msg string, receipt protocol.ReceiptKind) {
		t.Helper()
		code, rep := diffJSON(t, sender, receiver)
		if code != exit || len(rep.Issues) != 1 {
			t.Fatalf("exit %d (want %d), issues %+v", code, exit, rep.Issues)
		}
		is := rep.Issues[0]
		if is.Kind != kind || is.MessageID != msg || is.ReceiptKind != receipt {
			t.Fatalf("issue %+v, want %s of message %s (receipt %q)", is, kind, msg, receipt)
		}
		code, _, stderr := runCLI(t, "audit", "diff", sender, receiver)
		if code != exit || !strings.Contains(stderr, "casenode: error: audit diff: 1 finding between the logs of sn-pj-dakar and gh-ag-accra") {
			t.Fatalf("text: exit %d\n%s", code, stderr)
		}
	}
	t.Run("sent but never received", func(t *testing.T) {
		i := recordOf(t, en.snapB, func(rec *auditlog.Record, _ []byte) bool {
			return rec.Type == auditlog.TypeReceived && rec.MessageID == en.deliv
		})
		one(t, en.snapA, tamperedCopy(t, en.snapB, deleteRecord(i)), 10, evidence.SentNotReceived, en.deliv, "")
	})
	t.Run("received but never sent", func(t *testing.T) {
		i := recordOf(t, en.snapA, func(rec *auditlog.Record, _ []byte) bool {
			return rec.Type == auditlog.TypeSent && rec.MessageID == en.deliv
		})
		one(t, tamperedCopy(t, en.snapA, deleteRecord(i)), en.snapB, 11, evidence.ReceivedNotSent, en.deliv, "")
	})
	t.Run("hash mismatch", func(t *testing.T) {
		i := recordOf(t, en.snapB, func(rec *auditlog.Record, _ []byte) bool {
			return rec.Type == auditlog.TypeReceived && rec.MessageID == en.read
		})
		// The received record's payload hash (bytes 50 to 81) changed.
		b := tamperedCopy(t, en.snapB, func(b map[string]*bolt.Bucket) error {
			v := append([]byte(nil), b["records"].Get(itobHelper(i))...)
			v[60] ^= 0x01
			return b["records"].Put(itobHelper(i), v)
		})
		one(t, en.snapA, b, 12, evidence.HashMismatch, en.read, "")
	})
	t.Run("receipt in the sender's log only", func(t *testing.T) {
		i := recordOf(t, en.snapB, isReceipt(en.deliv, protocol.ReceiptDelivered))
		one(t, en.snapA, tamperedCopy(t, en.snapB, deleteRecord(i)), 13, evidence.ReceiptSenderOnly, en.deliv, protocol.ReceiptDelivered)
	})
	t.Run("receipt in the receiver's log only", func(t *testing.T) {
		i := recordOf(t, en.snapA, isReceipt(en.read, protocol.ReceiptRead))
		one(t, tamperedCopy(t, en.snapA, deleteRecord(i)), en.snapB, 14, evidence.ReceiptReceiverOnly, en.read, protocol.ReceiptRead)
	})
	t.Run("the most serious decides", func(t *testing.T) {
		// Both a message the receiver lacks and one the sender lacks:
		// received but never sent (11) wins over sent but never received.
		ia := recordOf(t, en.snapA, func(rec *auditlog.Record, _ []byte) bool {
			return rec.Type == auditlog.TypeSent && rec.MessageID == en.deliv
		})
		ib := recordOf(t, en.snapB, func(rec *auditlog.Record, _ []byte) bool {
			return rec.Type == auditlog.TypeReceived && rec.MessageID == en.read
		})
		code, rep := diffJSON(t, tamperedCopy(t, en.snapA, deleteRecord(ia)), tamperedCopy(t, en.snapB, deleteRecord(ib)))
		if code != 11 || len(rep.Issues) != 2 || rep.Issues[0].Kind != evidence.ReceivedNotSent || rep.Issues[1].Kind != evidence.SentNotReceived {
			t.Fatalf("exit %d, issues %+v", code, rep.Issues)
		}
	})
}

func testProveDelivery(t *testing.T, en *evidenceNet) {
	// The proof, from the stopped sender's own file, opened read-only.
	out := filepath.Join(t.TempDir(), "delivery.proof")
	code, _, stderr := runCLI(t, "audit", "prove", "--delivery", en.read, "--db", en.liveA, "--out", out)
	if code != 0 || !strings.Contains(stderr, "proof of the delivery and read of message "+en.read) {
		t.Fatalf("audit prove --delivery: exit %d\n%s", code, stderr)
	}
	proof, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := os.ReadFile(en.secretariat)
	if err != nil {
		t.Fatal(err)
	}
	// Alone, in a fresh directory: the proof and the secretariat's card.
	fresh := t.TempDir()
	for name, data := range map[string][]byte{"delivery.proof": proof, "secretariat.json": sec} {
		if err := os.WriteFile(filepath.Join(fresh, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"audit", "check-proof", "--secretariat", filepath.Join(fresh, "secretariat.json")}, args...)...)
	}
	code, stdout, stderr := check("--proof", filepath.Join(fresh, "delivery.proof"))
	want := "proof checked: message " + en.read + " from sn-pj-dakar was delivered to gh-ag-accra at "
	if code != 0 || !strings.Contains(stdout, want) || !strings.Contains(stdout, " and read at ") {
		t.Fatalf("check-proof: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = check("--proof", filepath.Join(fresh, "delivery.proof"), "--json")
	var res struct {
		OK        bool    `json:"ok"`
		Statement string  `json:"statement"`
		MessageID string  `json:"message_id"`
		From      string  `json:"from"`
		To        string  `json:"to"`
		Delivered string  `json:"delivered"`
		Stored    string  `json:"delivered_stored"`
		Read      string  `json:"read"`
		Records   []int64 `json:"records"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 {
		t.Fatalf("check-proof --json: exit %d, %v\n%s", code, err, stdout)
	}
	if !res.OK || res.MessageID != en.read || res.From != dakar || res.To != accra || res.Delivered == "" || res.Stored == "" || res.Read == "" || len(res.Records) != 3 ||
		res.Statement != "message "+en.read+" from sn-pj-dakar was delivered to gh-ag-accra at "+res.Delivered+" and read at "+res.Read {
		t.Fatalf("check-proof --json: %+v", res)
	}

	t.Run("every byte flipped", func(t *testing.T) {
		// Every position of the file, each byte changed in its lowest bit:
		// check-proof must refuse every one.
		key, err := loadSecretariatKey(newEnv(), filepath.Join(fresh, "secretariat.json"), "")
		if err != nil {
			t.Fatal(err)
		}
		pub := key.Key.(ed25519.PublicKey)
		if _, err := checkDeliveryBytes(proof, pub); err != nil {
			t.Fatalf("the proof itself: %v", err)
		}
		// One worker per core, each taking every n-th position.
		n := runtime.GOMAXPROCS(0)
		accepted := make(chan int, len(proof))
		var wg sync.WaitGroup
		for w := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(proof); i += n {
					bad := bytes.Clone(proof)
					bad[i] ^= 0x01
					if _, err := checkDeliveryBytes(bad, pub); err == nil {
						accepted <- i
					}
				}
			}()
		}
		wg.Wait()
		close(accepted)
		for i := range accepted {
			t.Errorf("byte %d flipped (%q → %q): the proof still checks", i, proof[i], proof[i]^0x01)
		}
		t.Logf("%d positions flipped, each checked", len(proof))
		// And through the command, a sample.
		for _, i := range []int{0, 10, len(proof) / 3, len(proof) / 2, len(proof) - 2, len(proof) - 1} {
			bad := bytes.Clone(proof)
			bad[i] ^= 0x01
			path := filepath.Join(fresh, fmt.Sprintf("flipped-%d.proof", i))
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := check("--proof", path); code != exitIntegrity && code != exitTrust {
				t.Fatalf("byte %d flipped: exit %d\n%s", i, code, stderr)
			}
		}
	})
	t.Run("standard tools", func(t *testing.T) {
		// The Go program of docs/AUDIT.md, with go-jose and x/mod only,
		// checks the same file.
		if _, err := exec.LookPath("go"); err != nil {
			t.Skip("no go command")
		}
		doc, err := os.ReadFile("../../docs/AUDIT.md")
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(string(doc), "<!-- snippet check-delivery -->\n```go\n")
		program, _, ok2 := strings.Cut(rest, "```\n<!-- /snippet -->")
		if !ok || !ok2 {
			t.Fatal("no check-delivery snippet in docs/AUDIT.md")
		}
		if strings.Contains(program, "casenode/casenode") {
			t.Fatal("the snippet imports casenode")
		}
		// Inside the module (a directory go ./... skips), for its go.mod.
		dir, err := os.MkdirTemp("../..", ".docsnippet-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		must(t, os.WriteFile(filepath.Join(dir, "checkdelivery.go"), []byte(program), 0o600))
		var card struct {
			SigningKey json.RawMessage `json:"signing_key"`
		}
		must(t, json.Unmarshal(sec, &card))
		jwk := filepath.Join(fresh, "secretariat.jwk")
		must(t, os.WriteFile(jwk, card.SigningKey, 0o600))
		run := func(proof string) (string, error) {
			cmd := exec.Command("go", "run", "./"+filepath.Base(dir), proof, jwk)
			cmd.Dir = "../.."
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		out, err := run(filepath.Join(fresh, "delivery.proof"))
		if err != nil || strings.TrimSpace(out) != res.Statement {
			t.Fatalf("the docs' program: %v\n%s\nwant %s", err, out, res.Statement)
		}
		// And it refuses a changed receipt.
		d, err := evidence.DecodeDelivery(bytes.TrimSuffix(proof, []byte("\n")))
		must(t, err)
		d.Delivered.Payload[len(d.Delivered.Payload)-5] ^= 0x01
		data, err := evidence.EncodeDelivery(d)
		must(t, err)
		path := filepath.Join(fresh, "bad.proof")
		must(t, os.WriteFile(path, data, 0o600))
		if out, err := run(path); err == nil {
			t.Fatalf("the docs' program accepted a changed receipt:\n%s", out)
		}
	})
	t.Run("another secretariat", func(t *testing.T) {
		other := filepath.Join(en.dir, dakar, "member.json")
		code, _, stderr := runCLI(t, "audit", "check-proof", "--secretariat", other, "--proof", filepath.Join(fresh, "delivery.proof"))
		if code != exitTrust || !strings.Contains(stderr, "roster: ") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
	t.Run("from a snapshot of the running node", func(t *testing.T) {
		// The node signs a checkpoint of every record before it copies.
		out := filepath.Join(t.TempDir(), "p")
		if code, _, stderr := runCLI(t, "audit", "prove", "--delivery", en.read, "--db", en.snapA, "--out", out); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		code, stdout, stderr := runCLI(t, "audit", "check-proof", "--secretariat", en.secretariat, "--proof", out)
		if code != 0 || !strings.Contains(stdout, "from sn-pj-dakar was delivered to gh-ag-accra at ") || !strings.Contains(stdout, "read at") {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("delivered, not read", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "p")
		code, stdout, stderr := runCLI(t, "audit", "prove", "--delivery", en.deliv, "--db", en.liveA, "--out", out, "--json")
		var pr struct {
			MessageID string  `json:"message_id"`
			Read      bool    `json:"read"`
			Records   []int64 `json:"records"`
			Out       string  `json:"out"`
		}
		if err := json.Unmarshal([]byte(stdout), &pr); code != 0 || err != nil || pr.MessageID != en.deliv || pr.Read || len(pr.Records) != 2 || pr.Out != out {
			t.Fatalf("exit %d, %v, %+v\n%s", code, err, pr, stderr)
		}
		code, stdout, stderr = runCLI(t, "audit", "check-proof", "--secretariat", en.secretariat, "--proof", out)
		if code != 0 || !strings.Contains(stdout, "from sn-pj-dakar was delivered to gh-ag-accra at ") || strings.Contains(stdout, "read at") {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
	})
	t.Run("not delivered", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "p")
		code, _, stderr := runCLI(t, "audit", "prove", "--delivery", en.toBoth, "--to", niamey, "--db", en.liveA, "--out", out)
		if code != 1 || !strings.Contains(stderr, "casenode: error: audit prove: message "+en.toBoth+" was not delivered to ne-mj: the log holds no delivered receipt from ne-mj") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatal("a proof was written")
		}
		code, _, stderr = runCLI(t, "audit", "prove", "--delivery", en.toBoth, "--db", en.liveA, "--out", out)
		if code != 1 || !strings.Contains(stderr, "went to gh-ag-accra, ne-mj: say which recipient") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if code, _, stderr := runCLI(t, "audit", "prove", "--delivery", en.toBoth, "--to", accra, "--db", en.liveA, "--out", out); code != 0 {
			t.Fatalf("to accra: exit %d\n%s", code, stderr)
		}
		// Accra's message is not Dakar's to prove.
		code, _, stderr = runCLI(t, "audit", "prove", "--delivery", en.reverse, "--db", en.liveA, "--out", out+"2")
		if code != 1 || !strings.Contains(stderr, "no sent record of it in the log") {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
