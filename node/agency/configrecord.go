package agency

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
)

// recordConfig appends node.json to the audit log when it differs from the
// configuration recorded last, so that the log shows every configuration
// the node ran with.
func (n *Node) recordConfig(ctx context.Context) error {
	path := filepath.Join(n.dir, config.NodeFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var last []byte
	if err := n.store.View(func(tx *store.Tx) error { last = tx.Config(); return nil }); err != nil {
		return err
	}
	if bytes.Equal(last, data) {
		return nil
	}
	if _, err := n.audit.Append(ctx, auditlog.Entry{Type: auditlog.TypeConfig, Actor: n.cfg.Agency, Payload: data}); err != nil {
		return fmt.Errorf("record %s in the audit log: %w", path, err)
	}
	return n.store.Commit(func(tx *store.Tx) error { return tx.SetConfig(data) })
}
