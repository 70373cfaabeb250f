package auditlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// TestFullDiskIsRetried puts a log on a tmpfs of its own, fills the disk
// and appends until an append fails for want of space: the log reports
// ErrNoSpace and WriteError, keeps its state, and once space returns the
// next append and a checkpoint succeed, without reopening, and the log
// verifies with every record that was acknowledged, and no other.
func TestFullDiskIsRetried(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("filling a disk needs a tmpfs of its own, which only root can mount: run the tests as root (CI does)")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Fatalf("mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	a, peer := newAgency(t, "wacap", "sn-pj-dakar"), newAgency(t, "wacap", "gh-ag")
	path := filepath.Join(dir, FileName)
	l := openLog(t, path, a.options())
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()

	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1 << 20, 4096} {
		for {
			if _, err := filler.Write(make([]byte, chunk)); err != nil {
				break
			}
		}
	}
	filler.Close()

	acked := map[string]bool{}
	var failed error
	for i := 0; i < 100_000 && failed == nil; i++ {
		e := Entry{Type: TypeSent, Actor: "prosecutor amadou", MessageID: protocol.NewMessageID(time.Unix(1_700_000_000+int64(i), 0)),
			Payload: append([]byte(fmt.Sprintf("sealed message %d", i)), make([]byte, 2048)...)}
		if _, err := l.Append(ctx, e); err != nil {
			failed = err
			break
		}
		acked[e.MessageID] = true
	}
	if !errors.Is(failed, ErrNoSpace) || !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v, want ErrNoSpace", failed)
	}
	if since, err := l.WriteError(); !errors.Is(err, ErrNoSpace) || since.IsZero() {
		t.Errorf("WriteError = %v, %v; want ErrNoSpace and a time", err, since)
	}

	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	e := Entry{Type: TypeReceived, Actor: peer.card.Agency, MessageID: protocol.NewMessageID(time.Now()), Payload: []byte("after")}
	if _, err := l.Append(ctx, e); err != nil {
		t.Fatalf("append once space returned: %v", err)
	}
	acked[e.MessageID] = true
	if _, err := l.WriteError(); err != nil {
		t.Errorf("WriteError after a successful write: %v", err)
	}
	if _, err := l.Checkpoint(); err != nil {
		t.Fatalf("checkpoint once space returned: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, path, VerifyOptions{Card: a.card}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	r := openReader(t, path)
	got := map[string]bool{}
	if err := r.Iterate(0, func(rec *Record, _ []byte) error {
		if rec.MessageID != "" {
			got[rec.MessageID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(acked) {
		t.Errorf("the log holds %d entries with an id, %d were acknowledged", len(got), len(acked))
	}
	for id := range acked {
		if !got[id] {
			t.Errorf("acknowledged entry %s is missing", id)
		}
	}
}
