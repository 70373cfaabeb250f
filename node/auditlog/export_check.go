package auditlog

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Files of an export besides those the manifest lists.
const (
	ManifestFileName    = "manifest.json"
	ManifestSigFileName = "manifest.sig"
	// MaxManifestSize bounds manifest.json: some 150 bytes per file, and
	// a file per 256 records per tree level.
	MaxManifestSize = 256 << 20
	// manifestNoteHeader is the first line of the signed manifest note: it
	// can never be read as a checkpoint, whose first line is the origin.
	manifestNoteHeader = "casenode-audit-export/1"
)

// manifestNoteText is the text the agency signs for an export: the header,
// the origin, the tree the tiles hold, and the SHA-256 of manifest.json.
func manifestNoteText(origin string, size int64, root tlog.Hash, manifestSum [sha256.Size]byte) string {
	return manifestNoteHeader + "\n" + origin + "\n" + strconv.FormatInt(size, 10) + "\n" +
		base64.StdEncoding.EncodeToString(root[:]) + "\n" + hex.EncodeToString(manifestSum[:]) + "\n"
}

// SignExport signs the manifest of the export in dir with the agency's key:
// it writes manifest.sig, a C2SP signed note under the log's origin whose
// text is "casenode-audit-export/1", the origin, the tree size and root
// hash of the export's checkpoint, and the SHA-256 of manifest.json, one
// per line. key must be the agency's.
func SignExport(dir string, key ed25519.PrivateKey) error {
	data, m, err := readManifest(dir)
	if err != nil {
		return err
	}
	s, err := newNoteSigner(m.Origin, key)
	if err != nil {
		return err
	}
	signed, err := note.Sign(&note.Note{Text: manifestNoteText(m.Origin, m.Size, m.RootHash, sha256.Sum256(data))}, s)
	if err != nil {
		return fmt.Errorf("sign the export's manifest: %w", err)
	}
	return durable.WriteNew(filepath.Join(dir, ManifestSigFileName), signed, 0o600)
}

// ExportCheck is what CheckExport proved of an export.
type ExportCheck struct {
	// Manifest is the export's manifest.
	Manifest *Manifest
	// Checkpoint is the export's checkpoint, its signature checked.
	Checkpoint *Checkpoint
	// Anchored says that the checkpoint verified with the card given;
	// otherwise with the card of records.jsonl's record 0 (or a later own
	// key record).
	Anchored bool
	// ManifestSigned says that manifest.sig is there and verified with
	// the agency's key.
	ManifestSigned bool
	// Checkpoints is how many lines of checkpoints.jsonl were checked.
	Checkpoints int
}

// CheckExport checks an export directory alone, as a tlog-tiles client
// would and more: every file against the manifest (and no other file), the
// checkpoint's signature by the agency's key (card, or the card of record
// 0 when nil), every hash tile against the checkpoint's root
// (tlog.TileHashReader), every entry bundle against the tiles, every line
// of records.jsonl against the entries and its payload against its record,
// every line of checkpoints.jsonl against its signature and the tree, and
// the signed manifest, when there is one. It returns a *VerifyError for
// what does not match.
func CheckExport(dir string, card *protocol.MemberCard) (*ExportCheck, error) {
	data, m, err := readManifest(dir)
	if err != nil {
		return nil, &VerifyError{Kind: KindIntegrity, What: err.Error()}
	}
	c := &exportChecker{dir: dir, m: m, res: &ExportCheck{Manifest: m}}
	if err := c.files(); err != nil {
		return nil, err
	}
	recs, err := c.records()
	if err != nil {
		return nil, err
	}
	if err := c.checkpoint(recs, card); err != nil {
		return nil, err
	}
	tree := tlog.Tree{N: m.Size, Hash: m.RootHash}
	hr := tlog.TileHashReader(tree, &dirTiles{dir: dir})
	if err := c.entries(recs, hr); err != nil {
		return nil, err
	}
	if err := c.checkpoints(hr); err != nil {
		return nil, err
	}
	if err := c.signature(data); err != nil {
		return nil, err
	}
	return c.res, nil
}

// readManifest reads and strictly decodes manifest.json.
func readManifest(dir string) ([]byte, *Manifest, error) {
	data, err := readLimited(filepath.Join(dir, ManifestFileName), MaxManifestSize)
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ManifestFileName, err)
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("%s: data after the manifest", ManifestFileName)
	}
	if m.Version != ManifestVersion {
		return nil, nil, fmt.Errorf("%s: version %d (this casenode reads version %d)", ManifestFileName, m.Version, ManifestVersion)
	}
	return data, &m, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over the limit of %d bytes", path, limit)
	}
	return data, nil
}

type exportChecker struct {
	dir string
	m   *Manifest
	res *ExportCheck
	own []*protocol.MemberCard // the agency's cards, from records.jsonl
}

func (c *exportChecker) fail(what string) *VerifyError {
	return &VerifyError{Kind: KindIntegrity, What: what}
}

// files checks every listed file's size and SHA-256, and that no other
// file is there.
func (c *exportChecker) files() error {
	listed := map[string]bool{ManifestFileName: true, ManifestSigFileName: true}
	for _, f := range c.m.Files {
		if listed[f.Path] || !fs.ValidPath(f.Path) {
			return c.fail(fmt.Sprintf("manifest: file %q listed twice or not a valid path", f.Path))
		}
		listed[f.Path] = true
		h := sha256.New()
		fh, err := os.Open(filepath.Join(c.dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return c.fail(fmt.Sprintf("file %s: %v", f.Path, err))
		}
		n, err := io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return c.fail(fmt.Sprintf("file %s: %v", f.Path, err))
		}
		if sum := hex.EncodeToString(h.Sum(nil)); n != f.Size || sum != f.SHA256 {
			return &VerifyError{Kind: KindIntegrity, What: "file " + f.Path + " differs from the manifest", Expected: fmt.Sprintf("%d bytes, SHA-256 %s", f.Size, f.SHA256), Found: fmt.Sprintf("%d bytes, SHA-256 %s", n, sum)}
		}
	}
	return filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(c.dir, path)
		if err != nil {
			return err
		}
		if !listed[filepath.ToSlash(rel)] {
			return c.fail(fmt.Sprintf("file %s is not in the manifest", filepath.ToSlash(rel)))
		}
		return nil
	})
}

// records reads records.jsonl: each line's record and payload, and the
// agency's own cards from its key records.
func (c *exportChecker) records() ([]ExportedRecord, error) {
	f, err := os.Open(filepath.Join(c.dir, "records.jsonl"))
	if err != nil {
		return nil, c.fail(err.Error())
	}
	defer f.Close()
	var out []ExportedRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 2*MaxPayloadSize)
	agency := c.m.Origin[strings.LastIndex(c.m.Origin, "/")+1:]
	for sc.Scan() {
		var line ExportedRecord
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, c.fail(fmt.Sprintf("records.jsonl line %d: %v", len(out)+1, err))
		}
		i := int64(len(out))
		rec, err := DecodeRecord(line.Record)
		if err != nil || rec.Seq != i {
			return nil, &VerifyError{Kind: KindIntegrity, Index: i, What: fmt.Sprintf("records.jsonl line %d is not record %d: %v", i+1, i, err)}
		}
		if h := sha256.Sum256(line.Payload); h != rec.PayloadHash || int64(len(line.Payload)) != rec.PayloadSize {
			return nil, &VerifyError{Kind: KindIntegrity, Index: i, What: "records.jsonl: payload does not match its record"}
		}
		// Every other field derives from the record and the payload: the
		// line must be exactly what Export writes of them.
		want := exportLine(rec, line.Record, line.Payload)
		if b, err := encodeLine(&want); err != nil || !bytes.Equal(b, sc.Bytes()) {
			return nil, &VerifyError{Kind: KindIntegrity, Index: i, What: fmt.Sprintf("records.jsonl line %d says other than its record and payload", i+1)}
		}
		if rec.Type == TypeKey {
			if card, err := protocol.ParseMemberCard(line.Payload); err == nil && card.Agency == agency && Origin(card.Network, card.Agency) == c.m.Origin {
				c.own = append(c.own, card)
			}
		}
		line.Payload = nil
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, c.fail("records.jsonl: " + err.Error())
	}
	if int64(len(out)) != c.m.Records || c.m.Records != c.m.Size {
		return nil, &VerifyError{Kind: KindUncovered, Index: min(c.m.Size, int64(len(out))), What: "the export's records and its checkpoint differ", Expected: fmt.Sprintf("%d records, all covered by the checkpoint", c.m.Size), Found: fmt.Sprintf("%d in records.jsonl, manifest says %d", len(out), c.m.Records)}
	}
	return out, nil
}

// verifiers are the note verifiers of the agency: the card given, or the
// own cards of the records.
func (c *exportChecker) verifiers(card *protocol.MemberCard) (note.Verifiers, error) {
	cards := c.own
	if card != nil {
		cards = []*protocol.MemberCard{card}
	}
	var vs []note.Verifier
	seen := map[uint32]bool{}
	for _, cd := range cards {
		v, err := NewVerifier(c.m.Origin, cd.PublicKey())
		if err != nil {
			return nil, err
		}
		if !seen[v.KeyHash()] {
			seen[v.KeyHash()] = true
			vs = append(vs, v)
		}
	}
	return note.VerifierList(vs...), nil
}

// checkpoint checks the checkpoint file: the agency's signature, and the
// manifest's tree.
func (c *exportChecker) checkpoint(recs []ExportedRecord, card *protocol.MemberCard) error {
	if card != nil && Origin(card.Network, card.Agency) != c.m.Origin {
		return &VerifyError{Kind: KindTrust, What: "this is another agency's export", Expected: Origin(card.Network, card.Agency), Found: c.m.Origin}
	}
	signed, err := readLimited(filepath.Join(c.dir, "checkpoint"), MaxCheckpointSize)
	if err != nil {
		return c.fail(err.Error())
	}
	vs, err := c.verifiers(card)
	if err != nil {
		return &VerifyError{Kind: KindTrust, What: err.Error()}
	}
	cp, err := OpenCheckpoint(signed, vs)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return &VerifyError{Kind: KindTrust, AtCheckpoint: true, Index: c.m.Size, What: "the checkpoint is not signed by the agency's key"}
		}
		return &VerifyError{Kind: KindIntegrity, AtCheckpoint: true, Index: c.m.Size, What: "checkpoint: " + err.Error()}
	}
	if cp.Origin != c.m.Origin || cp.Size != c.m.Size || cp.Root != c.m.RootHash {
		return &VerifyError{Kind: KindIntegrity, AtCheckpoint: true, Index: cp.Size, What: "the manifest does not name the checkpoint's tree", Expected: cp.String(), Found: fmt.Sprintf("size %d, root %s", c.m.Size, c.m.RootHash)}
	}
	c.res.Checkpoint, c.res.Anchored = cp, card != nil
	return nil
}

// entries checks every entry bundle against the tiles, and records.jsonl
// against the entries.
func (c *exportChecker) entries(recs []ExportedRecord, hr tlog.HashReader) error {
	const width = 1 << TileHeight
	for n := int64(0); n*width < c.m.Size; n++ {
		first, end := n*width, min((n+1)*width, c.m.Size)
		path := TilePath("entries", n, int(end-first))
		data, err := readLimited(filepath.Join(c.dir, filepath.FromSlash(path)), width*(2+MaxRecordSize))
		if err != nil {
			return c.fail(err.Error())
		}
		for i := first; i < end; i++ {
			if len(data) < 2 || len(data) < 2+int(binary.BigEndian.Uint16(data)) {
				return &VerifyError{Kind: KindIntegrity, Index: i, What: path + ": truncated entry"}
			}
			l := int(binary.BigEndian.Uint16(data))
			entry := data[2 : 2+l]
			data = data[2+l:]
			hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
			if err != nil {
				return &VerifyError{Kind: KindIntegrity, Index: i, What: "hash tiles do not match the checkpoint: " + err.Error()}
			}
			if tlog.RecordHash(entry) != hs[0] {
				return &VerifyError{Kind: KindIntegrity, Index: i, What: path + ": entry does not match its leaf hash in the tiles"}
			}
			if !bytes.Equal(entry, recs[i].Record) {
				return &VerifyError{Kind: KindIntegrity, Index: i, What: "records.jsonl differs from the entry bundle"}
			}
		}
		if len(data) != 0 {
			return c.fail(path + ": data after the last entry")
		}
	}
	return nil
}

// checkpoints checks every line of checkpoints.jsonl: the agency's
// signature, and its root against the tree.
func (c *exportChecker) checkpoints(hr tlog.HashReader) error {
	data, err := readLimited(filepath.Join(c.dir, "checkpoints.jsonl"), MaxManifestSize)
	if err != nil {
		return c.fail(err.Error())
	}
	vs, err := c.verifiers(nil)
	if err != nil {
		return &VerifyError{Kind: KindTrust, What: err.Error()}
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var ec ExportedCheckpoint
		if err := json.Unmarshal(line, &ec); err != nil {
			return c.fail("checkpoints.jsonl: " + err.Error())
		}
		cp, err := OpenCheckpoint([]byte(ec.Note), vs)
		if err != nil || cp.Size != ec.Size || cp.Root != ec.RootHash || cp.Size > c.m.Size {
			return &VerifyError{Kind: KindIntegrity, AtCheckpoint: true, Index: ec.Size, What: fmt.Sprintf("checkpoints.jsonl: the checkpoint of size %d does not verify: %v", ec.Size, err)}
		}
		root, err := tlog.TreeHash(cp.Size, hr)
		if err != nil || root != cp.Root {
			return &VerifyError{Kind: KindIntegrity, AtCheckpoint: true, Index: cp.Size, What: "checkpoints.jsonl: the checkpoint does not match the tree", Expected: cp.Root.String(), Found: root.String()}
		}
		c.res.Checkpoints++
	}
	return nil
}

// signature checks manifest.sig, if there is one.
func (c *exportChecker) signature(manifest []byte) error {
	signed, err := readLimited(filepath.Join(c.dir, ManifestSigFileName), MaxCheckpointSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return c.fail(err.Error())
	}
	vs, err := c.verifiers(nil)
	if err != nil {
		return &VerifyError{Kind: KindTrust, What: err.Error()}
	}
	n, err := note.Open(signed, vs)
	if err != nil {
		return &VerifyError{Kind: KindTrust, What: "manifest.sig is not signed by the agency's key: " + err.Error()}
	}
	if want := manifestNoteText(c.m.Origin, c.m.Size, c.m.RootHash, sha256.Sum256(manifest)); n.Text != want {
		return c.fail("manifest.sig does not sign this manifest")
	}
	c.res.ManifestSigned = true
	return nil
}

// dirTiles reads the hash tiles of an export: a tlog.TileReader over the
// C2SP tlog-tiles paths.
type dirTiles struct{ dir string }

func (d *dirTiles) Height() int { return TileHeight }

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := TilePath(strconv.Itoa(t.L), t.N, t.W)
		data, err := readLimited(filepath.Join(d.dir, filepath.FromSlash(path)), (1<<TileHeight)*tlog.HashSize)
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", path, len(data), t.W*tlog.HashSize)
		}
		out[i] = data
	}
	return out, nil
}

func (d *dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}
