package agency

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/casenode/casenode/node/store"
)

// staleFetch is how long a partial file fetched early (prefetch.go) is
// kept while no message names it: its message comes within seconds of the
// upload's end, or not at all.
const staleFetch = 24 * time.Hour

// sweepAttachments removes, as the node opens, what an interrupted
// operation left in the attachments directory and nothing the store still
// names: the spooled ciphertext of a send killed before its message was
// recorded (no outbox record names it) or of a message cancelled (a node
// killed before it removed it), the files of a console upload cut by a
// crash (upload-*, plaintext readable by the node only), and partial files
// fetched early for a message that never came (staleFetch).
func (n *Node) sweepAttachments() error {
	root := filepath.Join(n.dir, "attachments")
	named := map[store.Direction]map[string]bool{store.DirectionOut: {}, store.DirectionIn: {}}
	if err := n.store.View(func(tx *store.Tx) error {
		for dir, objects := range named {
			jobs, err := tx.AttachJobs(dir)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				if j.Cancelled != nil {
					// Withdrawn: its encrypted files go (cancel.go).
					continue
				}
				for _, it := range j.Items {
					objects[it.Object] = true
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	ups, _ := filepath.Glob(filepath.Join(root, "upload-*"))
	for _, u := range ups {
		n.log.Info("attachments: removing a console upload cut short", "path", u)
		os.RemoveAll(u)
	}
	outs, _ := filepath.Glob(filepath.Join(root, string(store.DirectionOut), "*.age"))
	for _, p := range outs {
		if !named[store.DirectionOut][strings.TrimSuffix(filepath.Base(p), ".age")] {
			n.log.Info("attachments: removing the encrypted file of a send that was not recorded", "path", p)
			os.Remove(p)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(root, string(store.DirectionIn), "*.age.part"))
	for _, p := range parts {
		st, err := os.Stat(p)
		if err != nil || named[store.DirectionIn][strings.TrimSuffix(filepath.Base(p), ".age.part")] || n.o.Now().Sub(st.ModTime()) < staleFetch {
			continue
		}
		n.log.Info("attachments: removing a file fetched early for a message that did not come", "path", p)
		os.Remove(p)
	}
	return nil
}
