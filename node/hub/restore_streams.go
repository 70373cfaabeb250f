package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/internal/hint"
	"github.com/nats-io/nats.go/jetstream"
)

// restoreSnapshots restores the streams of an online backup (Hub.Backup)
// that the hub directory's SnapshotsDir holds, through the server's
// restore API, before the hub sets up its streams (which would otherwise
// create them empty); then it removes the directory. A stream restored by
// an earlier start that stopped before the removal is recognised by its
// state and left as it is.
func (h *Hub) restoreSnapshots(ctx context.Context) error {
	dir := filepath.Join(h.dir, SnapshotsDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	if h.cfg.Cluster.Enabled() {
		return &hint.Error{Msg: fmt.Sprintf("%s holds stream snapshots, and a clustered hub does not restore them", dir),
			Fix: "restore an online backup into a single-server hub directory"}
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), snapshotMetaExt)
		switch {
		case ok:
			names = append(names, name)
		case strings.HasSuffix(e.Name(), snapshotDataExt):
		default:
			return fmt.Errorf("%s: unexpected file %q", dir, e.Name())
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if err := h.restoreSnapshot(ctx, dir, name); err != nil {
			return &hint.Error{Msg: fmt.Sprintf("restore stream %s from %s: %v", name, dir, err),
				Fix: "check the archive with 'casenode hub restore' into a new directory; if a restore stopped halfway, remove " + h.cfg.StoreDir + " and start again"}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return durable.SyncDir(h.dir)
}

// restoreSnapshot restores stream name from its two files in dir and
// removes them.
func (h *Hub) restoreSnapshot(ctx context.Context, dir, name string) error {
	metaPath := filepath.Join(dir, name+snapshotMetaExt)
	dataPath := filepath.Join(dir, name+snapshotDataExt)
	f, err := os.Open(metaPath)
	if err != nil {
		return err
	}
	// parseStreamMeta refuses what is past its limit.
	b, err := io.ReadAll(io.LimitReader(f, maxSnapshotMeta+1))
	f.Close()
	if err != nil {
		return err
	}
	meta, err := parseStreamMeta(b)
	if err != nil {
		return fmt.Errorf("%s: %w", metaPath, err)
	}
	if got := meta.name(); got != name {
		return fmt.Errorf("%s holds the configuration of stream %q", metaPath, got)
	}
	want, err := meta.state()
	if err != nil {
		return err
	}
	st, err := h.js.Stream(ctx, name)
	switch {
	case err == nil:
		have := st.CachedInfo().State
		if have.LastSeq < want.LastSeq {
			return fmt.Errorf("the stream exists with last sequence %d, before the snapshot's %d", have.LastSeq, want.LastSeq)
		}
		h.log.Warn("stream already restored by an earlier start", "stream", name, "messages", have.Msgs, "last_seq", have.LastSeq)
	case errors.Is(err, jetstream.ErrStreamNotFound):
		f, err := os.Open(dataPath)
		if err != nil {
			return err
		}
		err = restoreStream(ctx, h.nc, meta, f)
		f.Close()
		if err != nil {
			return err
		}
		st, err := h.js.Stream(ctx, name)
		if err != nil {
			return err
		}
		have := st.CachedInfo().State
		// Messages past the stream's max age expire at once: the
		// restored stream may hold fewer than the snapshot did.
		h.log.Info("stream restored from an online backup", "stream", name, "messages", have.Msgs, "last_seq", have.LastSeq,
			"snapshot_messages", want.Msgs, "snapshot_last_seq", want.LastSeq, "consumers", have.Consumers)
	default:
		return err
	}
	if err := os.Remove(dataPath); err != nil {
		return err
	}
	return os.Remove(metaPath)
}

// name returns the stream name of m's configuration.
func (m *StreamMeta) name() string {
	var named struct {
		Name string `json:"name"`
	}
	json.Unmarshal(m.Config, &named)
	return named.Name
}
