package auditlog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the height of the C2SP tlog-tiles the export writes: 256
// hashes or entries per full tile.
const TileHeight = 8

// ManifestVersion is the version of manifest.json.
const ManifestVersion = 1

// Manifest describes an export directory: the tree its tiles hold and every
// file with its SHA-256.
type Manifest struct {
	// Version is ManifestVersion.
	Version int `json:"v"`
	// Origin names the log.
	Origin string `json:"origin"`
	// Size is the tree size of the checkpoint file, which the tiles hold.
	Size int64 `json:"size"`
	// RootHash is that tree's root hash.
	RootHash tlog.Hash `json:"root_hash"`
	// Records is how many records records.jsonl holds: Size, and those
	// appended after the checkpoint.
	Records int64 `json:"records"`
	// Files lists every other file of the directory, sorted by path.
	Files []ManifestFile `json:"files"`
}

// ManifestFile is one file of an export.
type ManifestFile struct {
	// Path is the file's slash-separated path in the directory.
	Path string `json:"path"`
	// Size is its length in bytes.
	Size int64 `json:"size"`
	// SHA256 is its SHA-256, lowercase hex.
	SHA256 string `json:"sha256"`
}

// ExportedRecord is one line of records.jsonl: the record's fields, and
// its exact bytes and payload.
type ExportedRecord struct {
	Index         int64                `json:"index"`                // the record's index (its sequence number)
	Time          string               `json:"time"`                 // RFC 3339, nanoseconds, UTC
	Type          Type                 `json:"type"`                 // the type's name
	Actor         string               `json:"actor"`                // who did it
	MessageID     string               `json:"message_id,omitempty"` // the message it is about, if any
	HubStored     string               `json:"hub_stored,omitempty"` // when the hub stored a received message or receipt (record version 2)
	HubSeq        uint64               `json:"hub_seq,omitempty"`    // its sequence in the hub's stream
	Prev          tlog.Hash            `json:"prev"`                 // the previous record's leaf hash
	LeafHash      tlog.Hash            `json:"leaf_hash"`            // this record's leaf hash
	PayloadSHA256 string               `json:"payload_sha256"`       // lowercase hex
	PayloadSize   int64                `json:"payload_size"`         // bytes
	Rejection     *ExportedRejection   `json:"rejection,omitempty"`  // the decoded payload of a rejected record
	Card          *protocol.MemberCard `json:"card,omitempty"`       // the decoded payload of a key record
	Record        []byte               `json:"record"`               // the exact record bytes (base64)
	Payload       []byte               `json:"payload"`              // the exact payload bytes (base64)
}

// ExportedRejection is the decoded payload of a rejected record.
type ExportedRejection struct {
	Reason   protocol.Reason `json:"reason"`   // the stable reason code
	Detail   string          `json:"detail"`   // the local detail
	Size     int64           `json:"size"`     // the input's size
	SHA256   string          `json:"sha256"`   // the input's SHA-256, lowercase hex
	Complete bool            `json:"complete"` // whether the payload keeps the whole input
	// Publisher is the agency the hub authenticated as the input's
	// publisher; the record's actor is only the sender the input claims.
	Publisher string `json:"publisher,omitempty"`
	// Withheld: only the input's size and hash were kept (its publisher
	// was over the node's rejections_kept_per_hour).
	Withheld bool `json:"withheld,omitempty"`
}

// ExportedCheckpoint is one line of checkpoints.jsonl.
type ExportedCheckpoint struct {
	Size     int64     `json:"size"`      // records covered
	RootHash tlog.Hash `json:"root_hash"` // their Merkle root
	Note     string    `json:"note"`      // the signed checkpoint
}

// Export writes the log into dir, which must not exist or be empty:
// records.jsonl and checkpoints.jsonl, the tree of the newest checkpoint in
// the C2SP tlog-tiles layout (checkpoint, tile/<L>/<N>[.p/<W>],
// tile/entries/<N>[.p/<W>]) and manifest.json. It reads one consistent
// state of the log. Every file is synced, and manifest.json, written last
// after the directories are synced, marks a complete export. progress, if
// not nil, is called now and then with the records written so far and the
// total.
func (r *Reader) Export(dir string, progress func(done, total int64)) (*Manifest, error) {
	if err := emptyDir(dir); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m := &Manifest{Version: ManifestVersion, Origin: r.origin}
	w := &exportWriter{dir: dir, tree: durable.Tree{Root: dir}}
	err := r.view(func(b *buckets) error {
		k, signed := b.checkpoints.Cursor().Last()
		if k == nil {
			return fmt.Errorf("the log has no checkpoint to export")
		}
		cp, _, err := ParseCheckpoint(signed)
		if err != nil {
			return fmt.Errorf("newest checkpoint: %w", err)
		}
		m.Size, m.RootHash = cp.Size, cp.Root
		if err := w.file("checkpoint", func(f io.Writer) error { _, err := f.Write(signed); return err }); err != nil {
			return err
		}
		if m.Records, err = exportRecords(w, b, progress); err != nil {
			return err
		}
		if err := exportCheckpoints(w, b); err != nil {
			return err
		}
		return exportTiles(w, b, cp.Size)
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := w.tree.Sync(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	sort.Slice(w.files, func(i, j int) bool { return w.files[i].Path < w.files[j].Path })
	m.Files = w.files
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export: manifest: %w", err)
	}
	if err := durable.WriteNew(filepath.Join(dir, "manifest.json"), append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return m, nil
}

// emptyDir creates dir, or checks that it is an empty directory.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	return nil
}

// exportWriter writes files under dir, each synced, and notes their
// hashes; the directories are synced once, before the manifest is written
// last.
type exportWriter struct {
	dir   string
	tree  durable.Tree
	files []ManifestFile
}

// file writes one file through fn.
func (w *exportWriter) file(path string, fn func(io.Writer) error) error {
	full := filepath.Join(w.dir, filepath.FromSlash(path))
	h := sha256.New()
	var cw *countWriter
	err := w.tree.CreateNew(full, 0o600, func(f io.Writer) error {
		cw = &countWriter{w: io.MultiWriter(f, h)}
		bw := bufio.NewWriterSize(cw, 64<<10)
		if err := fn(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w.files = append(w.files, ManifestFile{Path: path, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// exportRecords writes records.jsonl and returns the number of records.
func exportRecords(w *exportWriter, b *buckets, progress func(done, total int64)) (int64, error) {
	var n int64
	total, err := size(b)
	if err != nil {
		return 0, err
	}
	err = w.file("records.jsonl", func(f io.Writer) error {
		enc := json.NewEncoder(f)
		enc.SetEscapeHTML(false)
		c := b.records.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			line := exportLine(rec, v, b.payloads.Get(k))
			if err := enc.Encode(&line); err != nil {
				return err
			}
			n++
			if progress != nil && n%progressEvery == 0 {
				progress(n, total)
			}
		}
		return nil
	})
	return n, err
}

// exportCheckpoints writes checkpoints.jsonl.
func exportCheckpoints(w *exportWriter, b *buckets) error {
	return w.file("checkpoints.jsonl", func(f io.Writer) error {
		enc := json.NewEncoder(f)
		enc.SetEscapeHTML(false)
		return b.checkpoints.ForEach(func(k, v []byte) error {
			cp, _, err := ParseCheckpoint(v)
			if err != nil {
				return fmt.Errorf("checkpoint %x: %w", k, err)
			}
			return enc.Encode(ExportedCheckpoint{Size: cp.Size, RootHash: cp.Root, Note: string(v)})
		})
	})
}

// exportTiles writes the hash tiles and the entry bundles of the tree of
// size records.
func exportTiles(w *exportWriter, b *buckets, size int64) error {
	hr := bucketHashReader(b.hashes)
	for _, t := range tlog.NewTiles(TileHeight, 0, size) {
		data, err := tlog.ReadTileData(t, hr)
		if err != nil {
			return fmt.Errorf("tile %d/%d: %w", t.L, t.N, err)
		}
		path := TilePath(strconv.Itoa(t.L), t.N, t.W)
		if err := w.file(path, func(f io.Writer) error { _, err := f.Write(data); return err }); err != nil {
			return err
		}
	}
	const width = 1 << TileHeight
	for n := int64(0); n*width < size; n++ {
		first, end := n*width, min((n+1)*width, size)
		path := TilePath("entries", n, int(end-first))
		err := w.file(path, func(f io.Writer) error {
			for i := first; i < end; i++ {
				v := b.records.Get(itob(i))
				if v == nil {
					return fmt.Errorf("record %d: %w", i, ErrNotFound)
				}
				var l [2]byte
				binary.BigEndian.PutUint16(l[:], uint16(len(v)))
				if _, err := f.Write(l[:]); err != nil {
					return err
				}
				if _, err := f.Write(v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// TilePath returns the C2SP tlog-tiles path of tile n at level ("0", "1",
// … or "entries") holding w of 256 hashes or entries: tile/<L>/<N>[.p/<W>],
// with N in three-digit groups, all but the last prefixed with x.
func TilePath(level string, n int64, w int) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	p := "tile/" + level + "/" + s
	if w < 1<<TileHeight {
		p += ".p/" + strconv.Itoa(w)
	}
	return p
}

// exportLine is the line of records.jsonl of rec, stored as v, with its
// payload: everything in it derives from the two.
func exportLine(rec *Record, v, payload []byte) ExportedRecord {
	line := ExportedRecord{
		Index: rec.Seq, Time: rec.Time.Format(time.RFC3339Nano), Type: rec.Type, Actor: rec.Actor,
		MessageID: rec.MessageID, Prev: rec.Prev, LeafHash: rec.Hash(),
		PayloadSHA256: hex.EncodeToString(rec.PayloadHash[:]), PayloadSize: rec.PayloadSize,
		Record: v, Payload: payload,
	}
	if rec.Hub != nil {
		line.HubStored, line.HubSeq = rec.Hub.Stored.Format(time.RFC3339Nano), rec.Hub.Seq
	}
	switch rec.Type {
	case TypeRejected:
		if rj, err := DecodeRejection(payload); err == nil {
			line.Rejection = &ExportedRejection{Reason: rj.Reason, Detail: rj.Detail, Size: rj.Size, SHA256: hex.EncodeToString(rj.SHA256[:]), Complete: rj.Complete(),
				Publisher: rj.Publisher, Withheld: rj.Withheld}
		}
	case TypeKey:
		if card, err := protocol.ParseMemberCard(payload); err == nil {
			line.Card = card
		}
	}
	return line
}

// encodeLine is a line of records.jsonl as Export writes it, without the
// newline.
func encodeLine(line *ExportedRecord) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
