package hub

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkWitness measures the cost of witnessing one checkpoint against
// the baseline of signing it, in one run: "sign" signs a checkpoint as a
// node's audit log does; "witness" signs it too, then proves consistency
// from the previous size, asks the hub's witness over a real connection
// (the witness checks the signature and the proof, stores its state in
// JetStream and, with hub.json's default sync "always", fsyncs it) and
// checks the cosignature it returns.
func BenchmarkWitness(b *testing.B) {
	const agency = "gh-ag"
	dir := b.TempDir()
	if _, err := Init(dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	id, err := identity.Generate(testNetwork, agency, "Agency", "GH", protocol.KindClassic, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	s, err := OpenSecretariat(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	creds := dir + "/" + CredsDir + "/" + agency + ".creds"
	if _, err := s.Add(id.Card, creds, time.Now()); err != nil {
		b.Fatal(err)
	}
	s.Close()
	h, err := Open(context.Background(), dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency, cfg.HubURLs, cfg.CredsFile = testNetwork, agency, []string{h.ClientURL()}, creds
	c, err := dialConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.nc.Close()
	vs, err := witness.Verifiers(h.Roster().Roster.Witnesses)
	if err != nil {
		b.Fatal(err)
	}
	signer := checkpointSigner(b, protocol.LogOrigin(testNetwork, agency), id.Signing)
	tr := &testTree{}
	var records int64
	grow := func(size int64) {
		for ; records < size; records++ {
			hs, err := tlog.StoredHashesForRecordHash(records, tlog.RecordHash(fmt.Appendf(nil, "bench %d", records)), tr)
			if err != nil {
				b.Fatal(err)
			}
			tr.hashes = append(tr.hashes, hs...)
		}
	}

	b.Run("sign", func(b *testing.B) {
		grow(1)
		root, _ := tlog.TreeHash(1, tr)
		for b.Loop() {
			signWith(b, signer, 1, root)
		}
	})
	// The witness's size: b.Run calls the function more than once.
	var old int64
	b.Run("witness", func(b *testing.B) {
		for b.Loop() {
			size := records + 1
			grow(size)
			root, err := tlog.TreeHash(size, tr)
			if err != nil {
				b.Fatal(err)
			}
			cp := signWith(b, signer, size, root)
			req := &witness.Request{Old: old, Checkpoint: cp}
			if old > 0 {
				if req.Proof, err = tlog.ProveTree(size, old, tr); err != nil {
					b.Fatal(err)
				}
			}
			a := askWitness(b, c, agency, req)
			if a.status != witness.StatusOK {
				b.Fatalf("answer %+v", a)
			}
			if cs, _, err := witness.CheckCosigned(append(bytes.Clone(cp), a.body...), vs); err != nil || len(cs) != 1 {
				b.Fatalf("cosignature: %v", err)
			}
			old = size
		}
	})
}
