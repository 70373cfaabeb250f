package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpointSize bounds a signed checkpoint: three short lines and a few
// signatures.
const MaxCheckpointSize = 4 << 10

// Origin returns the checkpoint origin of an agency's log,
// casenode/<network>/<agency>: the first line of its checkpoints and the
// name of the key that signs them.
func Origin(network, agency string) string { return "casenode/" + network + "/" + agency }

// Checkpoint is a signed statement of the log's size and Merkle root, in the
// C2SP tlog-checkpoint format: a signed note whose text is the origin, the
// tree size in decimal and the root hash in base64, one per line.
type Checkpoint struct {
	// Origin names the log: casenode/<network>/<agency>.
	Origin string
	// Size is the number of records the checkpoint covers.
	Size int64
	// Root is the RFC 6962 Merkle tree hash of those records.
	Root tlog.Hash
	// Note is the signed note, exactly as signed and stored.
	Note []byte
}

// Tree returns the size and root as a tlog.Tree.
func (c *Checkpoint) Tree() tlog.Tree { return tlog.Tree{N: c.Size, Hash: c.Root} }

// String returns a one-line summary: size and root.
func (c *Checkpoint) String() string { return fmt.Sprintf("size %d, root %s", c.Size, c.Root) }

// checkpointText returns the note text of a checkpoint.
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// signCheckpoint returns the checkpoint of size and root, signed by s.
func signCheckpoint(s note.Signer, size int64, root tlog.Hash) (*Checkpoint, error) {
	msg, err := note.Sign(&note.Note{Text: checkpointText(s.Name(), size, root)}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return &Checkpoint{Origin: s.Name(), Size: size, Root: root, Note: msg}, nil
}

// ParseCheckpoint decodes a signed checkpoint without checking any
// signature: use it to learn the origin and the key hashes before choosing
// whom to trust, then OpenCheckpoint.
func ParseCheckpoint(signed []byte) (*Checkpoint, []note.Signature, error) {
	if len(signed) > MaxCheckpointSize {
		return nil, nil, fmt.Errorf("checkpoint is %d bytes, over the limit of %d", len(signed), MaxCheckpointSize)
	}
	_, err := note.Open(signed, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil, nil, fmt.Errorf("checkpoint: not a signed note: %v", err)
	}
	c, err := parseCheckpointText(unverified.Note.Text)
	if err != nil {
		return nil, nil, err
	}
	c.Note = append([]byte(nil), signed...)
	return c, unverified.Note.UnverifiedSigs, nil
}

// OpenCheckpoint decodes a signed checkpoint and checks its signatures with
// known: at least one signature must be by a known key, and every signature
// by a known key must verify. It returns a *note.UnverifiedNoteError when no
// known key signed it and a *note.InvalidSignatureError when a signature is
// wrong.
func OpenCheckpoint(signed []byte, known note.Verifiers) (*Checkpoint, error) {
	if len(signed) > MaxCheckpointSize {
		return nil, fmt.Errorf("checkpoint is %d bytes, over the limit of %d", len(signed), MaxCheckpointSize)
	}
	n, err := note.Open(signed, known)
	if err != nil {
		return nil, err
	}
	if err := canonicalSignatures(append(n.Sigs, n.UnverifiedSigs...)); err != nil {
		return nil, err
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, err
	}
	c.Note = append([]byte(nil), signed...)
	return c, nil
}

// parseCheckpointText parses the three lines of a checkpoint. casenode
// writes no extension lines and accepts none, and every number has one
// spelling.
func parseCheckpointText(text string) (*Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return nil, fmt.Errorf("checkpoint: text must be exactly three lines (origin, size, root hash), found %d", len(lines)-1)
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	size := strings.TrimSuffix(lines[1], "\n")
	root := strings.TrimSuffix(lines[2], "\n")
	if origin == "" || strings.ContainsAny(origin, " +\t") {
		return nil, fmt.Errorf("checkpoint: invalid origin %q", origin)
	}
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != size {
		return nil, fmt.Errorf("checkpoint: invalid tree size %q", size)
	}
	h, err := base64.StdEncoding.Strict().DecodeString(root)
	if err != nil || len(h) != tlog.HashSize || base64.StdEncoding.EncodeToString(h) != root {
		return nil, fmt.Errorf("checkpoint: invalid root hash %q", root)
	}
	c := &Checkpoint{Origin: origin, Size: n}
	copy(c.Root[:], h)
	if !bytes.Equal([]byte(checkpointText(origin, n, c.Root)), []byte(text)) {
		return nil, fmt.Errorf("checkpoint: text is not canonical")
	}
	return c, nil
}

// canonicalSignatures refuses a signature line whose base64 is not the one
// canonical spelling of its bytes: note.Open decodes it leniently, so the
// unused bits of its last character could change and the signature still
// verify — one note, several byte strings.
func canonicalSignatures(sigs []note.Signature) error {
	for _, s := range sigs {
		if _, err := base64.StdEncoding.Strict().DecodeString(s.Base64); err != nil {
			return fmt.Errorf("checkpoint: the signature by %s is not in canonical base64", s.Name)
		}
	}
	return nil
}
