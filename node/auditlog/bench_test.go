package auditlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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
// every payload an Ed25519 signature over the rest of it, as a message,
// appended through AppendBatch 1000 at a time (one signed checkpoint per
// 1000 records).
func benchLog(b *testing.B, n int) (string, ed25519.PublicKey) {
	b.Helper()
	return writeBenchLog(b, testPath(b), n, 1000)
}

// benchSeed makes the messages' key the same in every run, so that a log
// kept in CASENODE_BENCH_DIR can be checked again.
var benchSeed = bytes.Repeat([]byte{7}, ed25519.SeedSize)

// writeBenchLog writes a log of n records, batch records a commit (each
// commit signs a checkpoint). The commits are not synced: the generator is
// not what is measured.
func writeBenchLog(b *testing.B, path string, n, batch int) (string, ed25519.PublicKey) {
	a := newAgency(b, "wacap", "sn-pj-dakar")
	l := openLog(b, path, a.options())
	l.db.NoSync = true
	priv := ed25519.NewKeyFromSeed(benchSeed)
	// 1000 distinct signed payloads, cycled.
	payloads := make([][]byte, 1000)
	for i := range payloads {
		body := payload1K()[:1024-ed25519.SignatureSize]
		payloads[i] = append(ed25519.Sign(priv, body), body...)
	}
	es := make([]Entry, batch)
	for done := 0; done < n; done += batch {
		es = es[:min(batch, n-done)]
		for i := range es {
			es[i] = Entry{Type: TypeReceived, Actor: "gh-ag-accra", Payload: payloads[(done+i)%len(payloads)]}
		}
		if _, err := l.AppendBatch(context.Background(), es); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	return path, priv.Public().(ed25519.PublicKey)
}

// verifyBenchLog is the log the verify benchmarks check: of
// CASENODE_BENCH_VERIFY_RECORDS records (100,000 by default; 1000000 for
// the million), CASENODE_BENCH_VERIFY_BATCH records a commit (1000
// by default; a node under load commits a few at a time), kept in
// CASENODE_BENCH_DIR if set so that paired runs (and the code before a
// change) check the very same file.
func verifyBenchLog(b *testing.B) (string, ed25519.PublicKey) {
	b.Helper()
	n, batch := benchEnv(b, "CASENODE_BENCH_VERIFY_RECORDS", 100_000), benchEnv(b, "CASENODE_BENCH_VERIFY_BATCH", 1000)
	dir := os.Getenv("CASENODE_BENCH_DIR")
	if dir == "" {
		return writeBenchLog(b, testPath(b), n, batch)
	}
	path := filepath.Join(dir, fmt.Sprintf("verify-%d-%d.db", n, batch))
	if _, err := os.Stat(path); err == nil {
		return path, ed25519.NewKeyFromSeed(benchSeed).Public().(ed25519.PublicKey)
	}
	tmp := path + ".partial"
	os.Remove(tmp)
	_, pub := writeBenchLog(b, tmp, n, batch)
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path, pub
}

// benchEnv is the positive number in the environment variable name, or
// def.
func benchEnv(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// memPeak samples, at every Progress call, the Go heap in use and the
// process's resident memory (anonymous, and the log file's mapped pages).
type memPeak struct {
	heap, rssAnon, rssFile uint64
	alloc0                 uint64
}

func newMemPeak() *memPeak {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &memPeak{alloc0: ms.TotalAlloc}
}

func (m *memPeak) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.heap = max(m.heap, ms.HeapInuse)
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "RssAnon:":
			m.rssAnon = max(m.rssAnon, kb<<10)
		case "RssFile:":
			m.rssFile = max(m.rssFile, kb<<10)
		}
	}
}

// report adds the peaks and the bytes allocated per record.
func (m *memPeak) report(b *testing.B, records int64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(m.heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(m.rssAnon)/(1<<20), "peak-rss-anon-MiB")
	b.ReportMetric(float64(m.rssFile)/(1<<20), "peak-rss-file-MiB")
	if records > 0 {
		b.ReportMetric(float64(ms.TotalAlloc-m.alloc0)/float64(records), "alloc-B/record")
	}
}

// benchVerify runs Verify b.N times over the bench log and reports
// records/s and memory.
func benchVerify(b *testing.B, o func(pub ed25519.PublicKey) VerifyOptions) {
	path, pub := verifyBenchLog(b)
	r := openReader(b, path)
	opts := o(pub)
	m := newMemPeak()
	opts.Progress = func(done, total int64) { m.sample() }
	b.ResetTimer()
	cpu := processCPU()
	var records int64
	for i := 0; i < b.N; i++ {
		rep, err := r.Verify(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		records += rep.Records
	}
	b.StopTimer()
	cpu = processCPU() - cpu
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		b.ReportMetric(float64(records)/cpu.Seconds(), "records/cpu-s")
	}
	m.report(b, records)
}

// BenchmarkVerify is the structural verification: encoding, sequence,
// chain, payload hashes, tree hashes, checkpoints. Run it with -cpu 1.
func BenchmarkVerify(b *testing.B) {
	benchVerify(b, func(ed25519.PublicKey) VerifyOptions { return VerifyOptions{} })
}

// BenchmarkVerifySignatures adds a signature check of every message,
// spread over GOMAXPROCS workers. Compare -cpu 1,2.
func BenchmarkVerifySignatures(b *testing.B) {
	benchVerify(b, func(pub ed25519.PublicKey) VerifyOptions {
		return VerifyOptions{CheckMessage: func(rec *Record, payload []byte, _ *Trust) error {
			if !ed25519.Verify(pub, payload[ed25519.SignatureSize:], payload[:ed25519.SignatureSize]) {
				return errors.New("bad signature")
			}
			return nil
		}}
	})
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
