package agency

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// AttachFile is a file to send with a message.
type AttachFile struct {
	// Path is the file on this machine; the node reads it.
	Path string `json:"path"`
	// Name is the name the recipients see; empty: the path's base name.
	Name string `json:"name,omitempty"`
	// Media is the media type; empty: guessed from the name.
	Media string `json:"media,omitempty"`
}

// Attachment is an attachment of a message, as the outbox, the inbox and
// 'casenode attachment get' show it.
type Attachment struct {
	protocol.Attachment
	// State is pending, waiting (received, over the automatic size: fetched
	// on demand), done, refused, or cancelled (its message was withdrawn
	// from the outbox; Deleted is when the hub deleted what it had of it).
	State   string     `json:"state"`
	Deleted *time.Time `json:"deleted,omitempty"`
	// Done is the ciphertext bytes moved so far, of CipherSize; Rate the
	// bytes a second of the transfer under way.
	Done  int64   `json:"done"`
	Rate  float64 `json:"rate,omitempty"`
	Error string  `json:"error,omitempty"`
	// Resumed, Moved and Again are those of the transfer that completed
	// it: the bytes the other side already had when it began (a resumed
	// transfer), the bytes it moved, and the bytes it moved again after a
	// failed attempt.
	Resumed int64 `json:"resumed,omitempty"`
	Moved   int64 `json:"moved,omitempty"`
	Again   int64 `json:"again,omitempty"`
}

// attachDir is where the node keeps the ciphertext of attachments: out/
// what it sent (spooled before the message is recorded), in/ what it
// received (.part while it is being fetched).
func (n *Node) attachPath(dir store.Direction, object string) string {
	return filepath.Join(n.dir, "attachments", string(dir), object+".age")
}

// MediaType guesses a media type from a file name, as a manifest wants it,
// and application/octet-stream when it cannot.
func MediaType(name string) string {
	t, _, err := mime.ParseMediaType(mime.TypeByExtension(strings.ToLower(filepath.Ext(name))))
	if err != nil || protocol.ValidateMediaType(strings.ToLower(t)) != nil {
		return "application/octet-stream"
	}
	return strings.ToLower(t)
}

// spool encrypts each file to the recipients (and this agency) into the
// node's directory, streaming, and returns the manifests of message id.
// On error it removes what it wrote.
func (n *Node) spool(ctx context.Context, id string, sealer *seal.Sealer, cards []*protocol.MemberCard, files []AttachFile) (_ []protocol.Attachment, err error) {
	if len(files) > protocol.MaxAttachments {
		return nil, invalid(fmt.Sprintf("send at most %d files with one message", protocol.MaxAttachments), "%d attachments", len(files))
	}
	if err := os.MkdirAll(filepath.Join(n.dir, "attachments", string(store.DirectionOut)), 0o700); err != nil {
		return nil, fmt.Errorf("create the attachments directory: %w", err)
	}
	var written []string
	defer func() {
		if err != nil {
			for _, p := range written {
				os.Remove(p)
			}
		}
	}()
	var to []string
	for _, c := range cards {
		to = append(to, c.Agency)
	}
	to = protocol.SortRecipients(to)
	out := make([]protocol.Attachment, len(files))
	for i, f := range files {
		name := f.Name
		if name == "" {
			name = filepath.Base(f.Path)
		}
		media := f.Media
		if media == "" {
			media = MediaType(name)
		}
		in, err := os.Open(f.Path)
		if err != nil {
			return nil, invalid("give a file this node can read", "attachment %s: %v", f.Path, err)
		}
		object := protocol.AttachmentObject(n.cfg.Agency, id, i)
		path := n.attachPath(store.DirectionOut, object)
		var w *seal.AttachmentWriter
		err = durable.CreateNew(path, 0o600, func(file io.Writer) (err error) {
			st, err := in.Stat()
			if err != nil {
				return err
			}
			// The chunks are uploaded as they are written (eager.go);
			// the file is written back to disk as it grows, so that its
			// sync before the message is recorded waits for little.
			if f, ok := file.(*os.File); ok {
				file = durable.Writeback(f, 0)
			}
			g := newGrowingFile(file)
			defer func() { g.finish(err) }()
			bw := bufio.NewWriterSize(g, protocol.AttachChunkSize)
			if w, err = sealer.EncryptAttachment(bw, cards); err != nil {
				return err
			}
			if err := n.xfer.eager(ctx, id, i, name, to, object, w.CipherSize(st.Size()), path, g); err != nil {
				return err
			}
			size, err := io.Copy(w, bufio.NewReaderSize(in, 256<<10))
			if err != nil {
				return fmt.Errorf("read %s: %w", f.Path, err)
			}
			if size != st.Size() {
				return invalid("send the file once it is no longer being written", "attachment %s changed while it was read: %d bytes, then %d", f.Path, st.Size(), size)
			}
			if err := w.Close(); err != nil {
				return err
			}
			return bw.Flush()
		})
		in.Close()
		var he *hint.Error
		if errors.As(err, &he) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("encrypt attachment %s: %w", f.Path, err)
		}
		written = append(written, path)
		out[i] = w.Manifest(n.cfg.Agency, id, i, name, media)
	}
	if err := protocol.ValidateAttachments(n.cfg.Agency, id, out); err != nil {
		return nil, invalid("give each file a distinct base name of one line (--attach FILE, renamed with NAME=FILE)", "%v", err)
	}
	return out, nil
}

// attachJob returns the attachment record of message id, sent or received.
func (n *Node) attachJob(id string) (*store.AttachJob, error) {
	var j *store.AttachJob
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		if j, err = tx.AttachJob(store.DirectionIn, id); err != nil || j != nil {
			return err
		}
		j, err = tx.AttachJob(store.DirectionOut, id)
		return err
	})
	return j, err
}

// attachments returns the views of a job's items with their progress.
func (n *Node) attachments(j *store.AttachJob) []Attachment {
	if j == nil {
		return nil
	}
	out := make([]Attachment, len(j.Items))
	for i, it := range j.Items {
		a := Attachment{Attachment: it.Attachment, State: it.State, Deleted: it.Deleted, Error: it.Error, Resumed: it.Resumed, Moved: it.Moved, Again: it.Again}
		if it.State == store.AttachDone {
			a.Done = it.CipherSize
		} else if p, ok := n.xfer.progress(it.Object); ok {
			a.Done, a.Rate = p.done, p.rate()
		}
		out[i] = a
	}
	return out
}

// Attachments returns the attachments of message id with their progress.
func (n *Node) Attachments(id string) ([]Attachment, error) {
	j, err := n.attachJob(id)
	if err != nil {
		return nil, err
	}
	return n.attachments(j), nil
}

// AttachmentGet writes the plaintext of the attachment named name of
// message id to w, checked against its manifest: a received attachment is
// fetched first if it is not here yet (waiting until it is, or ctx ends).
// It returns the manifest. A plaintext that does not match its manifest is
// an error after some of it was written: the caller writes to a temporary
// file and keeps it only on success.
func (n *Node) AttachmentGet(ctx context.Context, actor Actor, id, name string, w io.Writer) (*protocol.Attachment, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	j, err := n.attachJob(id)
	if err != nil {
		return nil, err
	}
	if j == nil {
		return nil, notFound("'casenode show ID' lists a message's attachments", "message %s has no attachments here", id)
	}
	idx := -1
	var names []string
	for i, it := range j.Items {
		names = append(names, it.Name)
		if it.Name == name {
			idx = i
		}
	}
	if idx < 0 {
		return nil, notFound("its attachments are: "+strings.Join(names, ", "), "message %s has no attachment named %q", id, name)
	}
	it := j.Items[idx]
	if j.Direction == store.DirectionIn && it.State != store.AttachDone {
		got, err := n.xfer.fetchNow(ctx, id, idx)
		if err != nil {
			return nil, err
		}
		it = *got
	}
	f, err := os.Open(n.attachPath(j.Direction, it.Object))
	if err != nil {
		return nil, fmt.Errorf("open attachment %s: %w", name, err)
	}
	defer f.Close()
	pt, err := seal.DecryptAttachment(bufio.NewReaderSize(f, 256<<10), n.ident())
	if err != nil {
		return nil, fmt.Errorf("attachment %s: %w", name, err)
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(w, h), pt)
	if err != nil {
		return nil, fmt.Errorf("attachment %s: %w", name, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != it.SHA256 || size != it.Size {
		return nil, fmt.Errorf("attachment %s: its plaintext (%d bytes, SHA-256 %s) is not the one its manifest names (%d bytes, SHA-256 %s)", name, size, sum, it.Size, it.SHA256)
	}
	access, err := json.Marshal(attachRecord{Action: "attachment-get", MessageID: id, Direction: j.Direction, Name: it.Name, Object: it.Object,
		SHA256: it.SHA256, CipherSHA256: it.CipherSHA256, Size: it.Size, Via: actor.Via, Label: actor.label()})
	if err != nil {
		return nil, err
	}
	if _, err := n.audit.AppendBatch(ctx, []auditlog.Entry{{Type: auditlog.TypeAccess, Actor: actor.Name, MessageID: id, Payload: access}}); err != nil {
		return nil, fmt.Errorf("record the access to %s in the audit log: %w", id, err)
	}
	a := it.Attachment
	return &a, nil
}

// attachRecord is the payload of the audit log's access records about
// attachments: uploaded, received (both digests checked), refused, read.
type attachRecord struct {
	Action       string          `json:"action"`
	MessageID    string          `json:"message_id"`
	Direction    store.Direction `json:"direction"`
	Name         string          `json:"name"`
	Object       string          `json:"object"`
	SHA256       string          `json:"sha256"`
	CipherSHA256 string          `json:"cipher_sha256"`
	Size         int64           `json:"size"`
	Detail       string          `json:"detail,omitempty"`
	Via          string          `json:"via,omitempty"`
	Label        string          `json:"label,omitempty"`
}

// receivedAttachments is the record of the attachments of a message just
// accepted: fetched at once up to attachment_auto_fetch, on demand above.
func (n *Node) receivedAttachments(o *seal.Opened) *store.AttachJob {
	j := &store.AttachJob{Direction: store.DirectionIn, MessageID: o.Header.ID, From: o.Header.From, To: o.Header.To}
	for _, a := range o.Attachments {
		state := store.AttachPending
		if a.Size > n.cfg.AttachmentAutoFetch {
			state = store.AttachWaiting
		}
		j.Items = append(j.Items, store.AttachItem{Attachment: a, State: state})
	}
	return j
}

// unspool removes the spooled files of a message that was not recorded.
func (n *Node) unspool(j *store.AttachJob) {
	if j == nil {
		return
	}
	for _, it := range j.Items {
		os.Remove(n.attachPath(store.DirectionOut, it.Object))
	}
}
