package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is the text of a checkpoint (C2SP tlog-checkpoint) a witness
// judges: origin, size and root hash. casenode's logs write no extension
// lines, and its witness accepts none.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// ParseCheckpointText decodes the three lines of a checkpoint's text, each
// in its one canonical spelling.
func ParseCheckpointText(text string) (*Checkpoint, error) {
	lines := bytes.Split([]byte(text), []byte("\n"))
	if len(lines) != 4 || len(lines[3]) != 0 {
		return nil, fmt.Errorf("checkpoint: text must be exactly three lines (origin, size, root hash)")
	}
	origin := string(lines[0])
	if origin == "" || bytes.ContainsAny(lines[0], " +\t") {
		return nil, fmt.Errorf("checkpoint: invalid origin %q", origin)
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return nil, fmt.Errorf("checkpoint: tree size: %w", err)
	}
	root, err := decodeHash(lines[2])
	if err != nil {
		return nil, fmt.Errorf("checkpoint: root hash: %w", err)
	}
	return &Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// Text returns the checkpoint's note text.
func (c *Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}
