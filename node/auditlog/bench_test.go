package auditlog

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// payload1K is a 1 KiB payload.
func payload1K() []byte {
	p := make([]byte, 1024)
	rand.Read(p)
	return p
}

// BenchmarkAppend is the durable append of 1 KiB records from 256
// concurrent writers: each Append returns once its record is fsynced. The
// log signs a checkpoint in every commit (the old log signed one every
// 1000 records).
func BenchmarkAppend(b *testing.B) {
	a := newAgency(b, "wacap", "sn-pj-dakar")
	o := a.options()
	l := openLog(b, testPath(b), o)
	p := payload1K()
	const writers = 256
	var next atomic.Int64
	b.SetBytes(1024)
	b.ResetTimer()
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := l.Append(context.Background(), Entry{Type: TypeReceived, Actor: "gh-ag-accra", Payload: p}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendOneWriter is the durable append of 1 KiB records from one
// writer: every commit holds one record, so every record costs one
// checkpoint signature (the old log signed one every 1000 records).
func BenchmarkAppendOneWriter(b *testing.B) {
	a := newAgency(b, "wacap", "sn-pj-dakar")
	l := openLog(b, testPath(b), a.options())
	p := payload1K()
	b.SetBytes(1024)
	b.ResetTimer()
	for range b.N {
		if _, err := l.Append(context.Background(), Entry{Type: TypeReceived, Actor: "gh-ag-accra", Payload: p}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBoltBaseline is the raw bbolt baseline for BenchmarkAppend:
// 1 KiB values under sequential keys, 100 per fsynced transaction, from one
// goroutine, nothing else (no hashing, no tree, no payload bucket), with
// the log's bbolt options.
func BenchmarkBoltBaseline(b *testing.B) {
	db, err := bolt.Open(testPath(b), 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p := payload1K()
	b.SetBytes(1024)
	b.ResetTimer()
	for i := 0; i < b.N; {
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("records"))
			if err != nil {
				return err
			}
			bk.FillPercent = 1.0
			for j := 0; j < 100 && i < b.N; j++ {
				if err := bk.Put(itob(int64(i)), p); err != nil {
					return err
				}
				i++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// benchLog builds, once per benchmark, a log of n records of 1 KiB each,
// every payload an Ed25519 signature over the rest of it, as a message.
func benchLog(b *testing.B, n int) (string, ed25519.PublicKey) {
	b.Helper()
	a := newAgency(b, "wacap", "sn-pj-dakar")
	o := a.options()
	path := testPath(b)
	l := openLog(b, path, o)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	const batch = 1000
	for done := 0; done < n; done += batch {
		es := make([]Entry, min(batch, n-done))
		for i := range es {
			body := payload1K()[:1024-ed25519.SignatureSize]
			es[i] = Entry{Type: TypeReceived, Actor: "gh-ag-accra", Payload: append(ed25519.Sign(priv, body), body...)}
		}
		if _, err := l.AppendBatch(context.Background(), es); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	return path, pub
}

// BenchmarkVerify is the structural verification: encoding, sequence,
// chain, payload hashes, tree hashes, checkpoints. Run it with -cpu 1.
func BenchmarkVerify(b *testing.B) {
	path, _ := benchLog(b, 100_000)
	r := openReader(b, path)
	b.ResetTimer()
	var records int64
	for i := 0; i < b.N; i++ {
		rep, err := r.Verify(context.Background(), VerifyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		records += rep.Records
	}
	b.StopTimer()
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerifySignatures adds a signature check of every message,
// spread over GOMAXPROCS workers. Compare -cpu 1,2.
func BenchmarkVerifySignatures(b *testing.B) {
	path, pub := benchLog(b, 20_000)
	r := openReader(b, path)
	check := func(rec *Record, payload []byte, _ *Trust) error {
		if !ed25519.Verify(pub, payload[ed25519.SignatureSize:], payload[:ed25519.SignatureSize]) {
			return errors.New("bad signature")
		}
		return nil
	}
	b.ResetTimer()
	var records int64
	for i := 0; i < b.N; i++ {
		rep, err := r.Verify(context.Background(), VerifyOptions{CheckMessage: check})
		if err != nil {
			b.Fatal(err)
		}
		records += rep.Records
	}
	b.StopTimer()
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkExport writes the export of a log of 20,000 records, every file
// synced as it is written.
func BenchmarkExport(b *testing.B) {
	path, _ := benchLog(b, 20_000)
	r := openReader(b, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := r.Export(filepath.Join(b.TempDir(), "export"), nil)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.ReportMetric(float64(len(m.Files)), "files")
		}
	}
}

// BenchmarkSignCheckpoint is what every commit adds to the commit's
// transaction: the tree's root from the frontier and one checkpoint
// signature.
func BenchmarkSignCheckpoint(b *testing.B) {
	a := newAgency(b, "wacap", "sn-pj-dakar")
	s, err := newNoteSigner(Origin("wacap", "sn-pj-dakar"), a.key)
	if err != nil {
		b.Fatal(err)
	}
	st := state{frontier: *newFrontier()}
	for i := range int64(1000) {
		hashes, err := tlog.StoredHashesForRecordHash(i, tlog.RecordHash([]byte{byte(i)}), &st.frontier)
		if err != nil {
			b.Fatal(err)
		}
		st.frontier.add(i, hashes)
		st.size++
	}
	b.ResetTimer()
	for range b.N {
		root, err := tlog.TreeHash(st.size, &st.frontier)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := signCheckpoint(s, st.size, root); err != nil {
			b.Fatal(err)
		}
	}
}
