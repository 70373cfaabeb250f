package auditlog

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Every commit signs. The transaction that appends records also stores the
// checkpoint of the tree they leave, signed with the agency's key, under
// its size in the checkpoints bucket: one Ed25519 signature per group
// commit. The checkpoint is signed over the committer's own frontier, which
// extends the tree of the previous commit, so two checkpoints the log
// stores are always one the prefix of the other; a checkpoint signed in a
// transaction that then failed was never stored nor shown to anyone. The
// chain holds no checkpoint records any more (logs written before did, and
// they still verify).

// signTree signs the tree of st.size records and stores the checkpoint in
// b, as the newest.
func (st *state) signTree(b *buckets, s *noteSigner) error {
	root, err := tlog.TreeHash(st.size, &st.frontier)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	cp, err := signCheckpoint(s, st.size, root)
	if err != nil {
		return err
	}
	if err := b.checkpoints.Put(itob(cp.Size), cp.Note); err != nil {
		return fmt.Errorf("checkpoint of size %d: %w", cp.Size, err)
	}
	st.cp = cp
	return nil
}

// signingIntent returns the size and root a log written before every
// commit signed last meant to sign (meta "signing"); the log no longer
// writes it.
func signingIntent(b *buckets) (size int64, root tlog.Hash, ok bool) {
	v := b.meta.Get([]byte(metaSigning))
	if len(v) != 8+tlog.HashSize {
		return 0, root, false
	}
	copy(root[:], v[8:])
	return int64(binary.BigEndian.Uint64(v)), root, true
}
