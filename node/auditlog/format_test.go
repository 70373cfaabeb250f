package auditlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestRecordLayout(t *testing.T) {
	r := &Record{
		Seq: 0x0102, Time: time.Unix(0, 0x0a0b), Type: TypeAccess, Actor: "ab", MessageID: "",
		Prev: tlog.Hash{0xee}, PayloadHash: [32]byte{0xdd}, PayloadSize: 0x30,
	}
	b := r.encode()
	want := []byte{RecordVersion, byte(TypeAccess)}
	want = binary.BigEndian.AppendUint64(want, 0x0102)
	want = binary.BigEndian.AppendUint64(want, 0x0a0b)
	want = append(want, r.Prev[:]...)
	want = append(want, r.PayloadHash[:]...)
	want = binary.BigEndian.AppendUint64(want, 0x30)
	want = append(want, 2, 'a', 'b', 0)
	if !bytes.Equal(b, want) {
		t.Fatalf("encoding\n%x\nwant\n%x", b, want)
	}
	back, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Seq != r.Seq || !back.Time.Equal(r.Time) || back.Type != r.Type || back.Actor != r.Actor || back.Prev != r.Prev || back.PayloadHash != r.PayloadHash || back.PayloadSize != r.PayloadSize {
		t.Fatalf("decoded %+v", back)
	}
	if back.Hash() != tlog.RecordHash(b) {
		t.Fatal("Hash is not the RFC 6962 leaf hash of the bytes")
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := (&Record{Seq: 5, Time: time.Unix(1, 0), Type: TypeSent, Actor: "x", MessageID: protocol.NewMessageID(time.Unix(1, 0))}).encode()
	edit := func(fn func(b []byte) []byte) []byte { return fn(bytes.Clone(good)) }
	for name, b := range map[string][]byte{
		"version 2":        edit(func(b []byte) []byte { b[0] = 2; return b }),
		"type 0":           edit(func(b []byte) []byte { b[1] = 0; return b }),
		"type 11":          edit(func(b []byte) []byte { b[1] = 11; return b }),
		"seq out of range": edit(func(b []byte) []byte { b[offSeq] = 0x80; return b }),
		"time zero":        edit(func(b []byte) []byte { clear(b[offTime : offTime+8]); return b }),
		"payload too big":  edit(func(b []byte) []byte { binary.BigEndian.PutUint64(b[offPayloadSize:], MaxPayloadSize+1); return b }),
		"empty actor":      append(append(bytes.Clone(good[:fixedLen]), 0, 36), good[fixedLen+3:]...),
		"control in actor": edit(func(b []byte) []byte { b[fixedLen+1] = '\n'; return b }),
		"invalid utf-8":    edit(func(b []byte) []byte { b[fixedLen+1] = 0xff; return b }),
		"upper-case id":    edit(func(b []byte) []byte { b[len(b)-1] = 'A'; return b }),
		"short id":         edit(func(b []byte) []byte { b[fixedLen+2] = 35; return b[:len(b)-1] }),
		"trailing byte":    append(bytes.Clone(good), 'x'),
		"truncated":        good[:len(good)-1],
		"empty":            nil,
	} {
		if _, err := DecodeRecord(b); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: got %v, want ErrEncoding", name, err)
		}
	}
}

func TestRejectionBounds(t *testing.T) {
	small := bytes.Repeat([]byte{'a'}, MaxRejectedRaw)
	r := NewRejection(protocol.ReasonMalformed, "bad\x00detail\n", small)
	if !r.Complete() || r.Detail != "bad\uFFFDdetail\n" {
		t.Fatalf("rejection %+v", r)
	}
	big := bytes.Repeat([]byte{'b'}, MaxRejectedRaw+1)
	r = NewRejection(protocol.ReasonOversized, strings.Repeat("é", MaxDetailLen), big)
	if r.Complete() || len(r.Raw) != RejectedPrefix || r.Size != int64(len(big)) || r.SHA256 != sha256.Sum256(big) || len(r.Detail) > MaxDetailLen {
		t.Fatalf("rejection of a large input: size %d, kept %d, detail %d bytes", r.Size, len(r.Raw), len(r.Detail))
	}
	back, err := DecodeRejection(r.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Encode(), r.Encode()) {
		t.Fatal("round trip changed the payload")
	}
	// A prefix whose hash claims to be the whole input is refused.
	forged := *r
	forged.Size = int64(len(forged.Raw))
	if _, err := DecodeRejection(forged.Encode()); err == nil {
		t.Fatal("accepted kept bytes that do not hash to the SHA-256")
	}
}

func TestCheckpointFormat(t *testing.T) {
	a := newAgency(t, "wacap", "sn-pj-dakar")
	origin := Origin("wacap", "sn-pj-dakar")
	s, err := newNoteSigner(origin, a.key)
	if err != nil {
		t.Fatal(err)
	}
	root := tlog.RecordHash([]byte("x"))
	cp, err := signCheckpoint(s, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	text := "casenode/wacap/sn-pj-dakar\n42\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n\n— casenode/wacap/sn-pj-dakar "
	if !strings.HasPrefix(string(cp.Note), text) {
		t.Fatalf("checkpoint\n%s\nwant it to start with\n%s", cp.Note, text)
	}
	// The key hash is the signed-note one for Ed25519, so that the standard
	// verifier of golang.org/x/mod accepts it.
	vkey, err := note.NewEd25519VerifierKey(origin, a.key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyHash() != s.KeyHash() {
		t.Fatalf("key hash %08x, the note package's %08x", s.KeyHash(), v.KeyHash())
	}
	opened, err := OpenCheckpoint(cp.Note, note.VerifierList(v))
	if err != nil || opened.Size != 42 || opened.Root != root || opened.Origin != origin {
		t.Fatalf("opened %+v, %v", opened, err)
	}
	for name, text := range map[string]string{
		"extension line": "o\n1\n" + base64.StdEncoding.EncodeToString(root[:]) + "\nextra\n",
		"leading zero":   "o\n01\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n",
		"negative":       "o\n-1\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n",
		"short hash":     "o\n1\nAAAA\n",
		"two lines":      "o\n1\n",
	} {
		if _, err := parseCheckpointText(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEveryCommitSigns holds point 1 of issue #13: every commit stores a
// signed checkpoint of all its records, under its size, in the same
// transaction, and the chain holds no checkpoint records.
func TestEveryCommitSigns(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	l := openLog(t, path, a.options())
	ctx := context.Background()
	sizes := []int64{1}
	for i := 0; i < 25; i++ {
		first, err := l.Append(ctx, entry(i, peer))
		if err != nil {
			t.Fatal(err)
		}
		if cp := l.LatestCheckpoint(); cp == nil || cp.Size != first+1 {
			t.Fatalf("after record %d: latest checkpoint %v, want size %d", first, cp, first+1)
		}
		sizes = append(sizes, first+1)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	cps, err := r.Checkpoints()
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, c := range cps {
		got = append(got, c.Size)
	}
	if fmt.Sprint(got) != fmt.Sprint(sizes) {
		t.Fatalf("stored checkpoints of sizes %v, want one per commit %v", got, sizes)
	}
	if c, err := r.CheckpointAt(sizes[3]); err != nil || c.Size != sizes[3] {
		t.Fatalf("checkpoint of size %d: %v, %v", sizes[3], c, err)
	}
	if _, err := r.CheckpointAt(1000); !errors.Is(err, ErrNotFound) {
		t.Fatalf("checkpoint of a size the log never had: %v", err)
	}
	if err := r.Iterate(0, func(rec *Record, _ []byte) error {
		if rec.Type == TypeCheckpoint {
			return fmt.Errorf("record %d is a checkpoint record", rec.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, path, VerifyOptions{Card: a.card}); err != nil {
		t.Fatal(err)
	}
}

func TestSigningIntent(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 10, 0)
	r := openReader(t, path)
	n, _ := r.Size()
	r.Close()

	// A log shorter than the size it meant to sign (logs written before
	// every commit signed kept that intent) was rolled back: it refuses to
	// open for writing.
	tamper(t, path, func(b *buckets) error {
		return b.meta.Put([]byte(metaSigning), append(itob(n+5), make([]byte, 32)...))
	})
	if _, err := Open(path, a.options()); err == nil || !strings.Contains(err.Error(), "was about to sign") {
		t.Fatalf("opened a log shorter than its signing intent: %v", err)
	}
}

func TestProveAndCheck(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 40, 7)
	r := openReader(t, path)
	n, _ := r.Size()
	for i := int64(0); i < n; i++ {
		p, err := r.Prove(i)
		if err != nil {
			t.Fatal(err)
		}
		data, err := EncodeProof(p)
		if err != nil {
			t.Fatal(err)
		}
		p, err = DecodeProof(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, card := range []*protocol.MemberCard{nil, a.card} {
			cp, rec, err := CheckProof(p, card)
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if rec.Seq != i || cp.Size != n {
				t.Fatalf("record %d: proved %d against size %d", i, rec.Seq, cp.Size)
			}
		}
	}
	p, err := r.Prove(3)
	if err != nil {
		t.Fatal(err)
	}
	bad := *p
	bad.Payload = []byte("another payload")
	if _, _, err := CheckProof(&bad, a.card); !isKind(err, KindIntegrity) {
		t.Errorf("changed payload: %v", err)
	}
	bad = *p
	bad.Record = flip(p.Record, offTime+7)
	if _, _, err := CheckProof(&bad, a.card); !isKind(err, KindIntegrity) {
		t.Errorf("changed record: %v", err)
	}
	bad = *p
	bad.Hashes = append([]tlog.Hash(nil), p.Hashes...)
	bad.Hashes[0][0] ^= 1
	if _, _, err := CheckProof(&bad, a.card); !isKind(err, KindIntegrity) {
		t.Errorf("changed proof hash: %v", err)
	}
	if _, _, err := CheckProof(p, peer.card); !isKind(err, KindTrust) {
		t.Errorf("another agency's card: %v", err)
	}
	if _, err := r.Prove(n); !errors.Is(err, ErrNotFound) {
		t.Errorf("record beyond the log: %v", err)
	}
}

func isKind(err error, k Kind) bool {
	var ve *VerifyError
	return errors.As(err, &ve) && ve.Kind == k
}

// tileReader reads the tiles of an export directory for tlog.
type tileReader struct {
	dir string
}

func (tr tileReader) Height() int { return TileHeight }

func (tr tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, t := range tiles {
		b, err := os.ReadFile(filepath.Join(tr.dir, TilePath(fmt.Sprint(t.L), t.N, t.W)))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (tr tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func TestExportTiles(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	l := openLog(t, path, a.options())
	es := make([]Entry, 700)
	for i := range es {
		es[i] = entry(i, peer)
	}
	if _, err := l.AppendBatch(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "export")
	m, err := openReader(t, path).Export(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Size != 701 || m.Records != 701 {
		t.Fatalf("manifest %+v", m)
	}
	// Every file is listed with its hash.
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); fmt.Sprintf("%x", sum) != f.SHA256 || int64(len(b)) != f.Size {
			t.Fatalf("%s does not match the manifest", f.Path)
		}
	}
	for _, p := range []string{"tile/0/000", "tile/0/001", "tile/0/002.p/189", "tile/1/000.p/2", "tile/entries/000", "tile/entries/002.p/189"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	// The tiles give the checkpoint's root, through tlog's own tile reader.
	signed, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(m.Origin, a.card.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := OpenCheckpoint(signed, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	hr := tlog.TileHashReader(cp.Tree(), tileReader{dir})
	root, err := tlog.TreeHash(cp.Size, hr)
	if err != nil || root != cp.Root {
		t.Fatalf("root from the tiles %v (%v), checkpoint %v", root, err, cp.Root)
	}
	// The entry bundles hold the records, length-prefixed, that hash to the
	// level-0 tiles.
	bundle, err := os.ReadFile(filepath.Join(dir, "tile/entries/001"))
	if err != nil {
		t.Fatal(err)
	}
	leaves, err := os.ReadFile(filepath.Join(dir, "tile/0/001"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; len(bundle) > 0; i++ {
		n := int(binary.BigEndian.Uint16(bundle))
		rec := bundle[2 : 2+n]
		bundle = bundle[2+n:]
		if h := tlog.RecordHash(rec); !bytes.Equal(h[:], leaves[i*32:(i+1)*32]) {
			t.Fatalf("entry %d of bundle 1 does not hash to its leaf", i)
		}
	}
	// records.jsonl has every record with its exact bytes.
	data, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	var last ExportedRecord
	if err := json.Unmarshal(lines[len(lines)-1], &last); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 701 || last.Index != 700 || tlog.RecordHash(last.Record) != last.LeafHash {
		t.Fatalf("%d lines, last %+v", len(lines), last)
	}
}

func TestVerifyMessageCheckHook(t *testing.T) {
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag-accra")
	path := testPath(t)
	buildLog(t, path, a, peer, 30, 0)
	var seen []Type
	check := func(rec *Record, payload []byte, trust *Trust) error {
		if _, err := trust.SigningKey(peer.card.Agency, peer.card.KeyID()); err != nil {
			return err
		}
		if trust.Own().Agency != "sn-pj-dakar" || trust.Network() != "wacap" {
			return fmt.Errorf("trust of the wrong log")
		}
		if rec.Seq == 13 {
			return errors.New("signature does not verify")
		}
		return nil
	}
	_, err := verify(t, path, VerifyOptions{CheckMessage: check, Workers: 3})
	ve := wantFailure(t, err, KindTrust, 13, false)
	if !strings.Contains(ve.What, "signature does not verify") {
		t.Fatalf("failure %v", ve)
	}
	rep, err := verify(t, path, VerifyOptions{CheckMessage: func(rec *Record, _ []byte, _ *Trust) error {
		seen = append(seen, rec.Type)
		return nil
	}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// entry() makes a sent and a received message of every 5 entries.
	if rep.MessagesChecked != 12 || len(seen) != 12 {
		t.Fatalf("checked %d messages (%v), want 12", rep.MessagesChecked, seen)
	}
}

// TestRecordVersionHub: a received record with the hub's stamp is version
// 2, version 1's bytes followed by the storage time and the stream
// sequence; only received and receipt records may be version 2.
func TestRecordVersionHub(t *testing.T) {
	stored := time.Date(2026, 3, 1, 10, 0, 1, 5, time.UTC)
	r := &Record{Seq: 3, Time: stored.Add(time.Second), Type: TypeReceived, Actor: "gh-ag-accra", Hub: &HubStamp{Stored: stored, Seq: 1234}}
	b := r.encode()
	v1 := *r
	v1.Hub = nil
	if b[0] != RecordVersionHub || len(b) != len(v1.encode())+16 || !bytes.Equal(b[1:len(b)-16], v1.encode()[1:]) {
		t.Fatalf("version 2 record %x", b)
	}
	got, err := DecodeRecord(b)
	if err != nil || got.Hub == nil || !got.Hub.Stored.Equal(stored) || got.Hub.Seq != 1234 {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	sent := *r
	sent.Type = TypeSent
	if _, err := DecodeRecord(sent.encode()); err == nil {
		t.Fatal("a version 2 sent record decoded")
	}
	zero := *r
	zero.Hub = &HubStamp{Stored: stored}
	if _, err := DecodeRecord(zero.encode()); err == nil {
		t.Fatal("a stamp with stream sequence 0 decoded")
	}
	if _, err := DecodeRecord(b[:len(b)-1]); err == nil {
		t.Fatal("a truncated version 2 record decoded")
	}
}
