package agency_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/bench"
	"github.com/casenode/casenode/node/lab/links"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// linkedPair creates a network of sn-pj and gh-ag whose agency linked
// reaches the hub through a link of its own, starts both nodes and waits
// until they are ready.
func linkedPair(t *testing.T, ctx context.Context, linked string) (*localnet.Net, *links.Link) {
	t.Helper()
	var link *links.Link
	var lerr error
	ln, err := localnet.Create(ctx, t.TempDir(), localnet.Options{Network: "wacap", Kind: protocol.KindClassic,
		HubAddr: func(a, hub string) string {
			if a != linked {
				return hub
			}
			if link == nil {
				link, lerr = links.NewLink(hub)
			}
			if lerr != nil {
				return hub
			}
			return link.Addr()
		}},
		localnet.Agency{ID: "sn-pj", Name: "Parquet de Dakar", Country: "SN"}, localnet.Agency{ID: "gh-ag", Name: "Attorney-General", Country: "GH"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if lerr != nil || link == nil {
		t.Fatalf("link: %v", lerr)
	}
	t.Cleanup(link.Close)
	for _, a := range []string{"sn-pj", "gh-ag"} {
		if _, err := ln.Start(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := ln.WaitReady(ctx, a, 3); err != nil {
			t.Fatal(err)
		}
	}
	return ln, link
}

// upBytes is what the node put on its link so far.
func upBytes(l *links.Link) int64 {
	var n int64
	for _, b := range l.Meter.Snapshot()[bench.Up] {
		n += b
	}
	return n
}

func TestCancelStopsAnUploadUnderWay(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ln, link := linkedPair(t, ctx, "sn-pj")
	a, b := ln.Node("sn-pj"), ln.Node("gh-ag")
	// 256 KB/s from the node to the hub: the 8 MiB file takes half a
	// minute to upload.
	if err := link.Shape(0, 0, 256); err != nil {
		t.Fatal(err)
	}
	path, _ := writeFile(t, t.TempDir(), "intercepts.wav", 8<<20)
	start := upBytes(link)
	res, err := a.Send(ctx, actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Minute, "the upload under way", func() bool {
		as, _ := a.Attachments(res.ID)
		return len(as) == 1 && as[0].Done > 0
	})
	if _, err := a.CancelOutbox(ctx, actor, res.ID); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Minute, "the hub to delete the object", func() bool {
		as, _ := a.Attachments(res.ID)
		return as[0].State == "cancelled" && as[0].Deleted != nil
	})
	// The cancel stopped the upload: the file did not go up whole.
	if sent := upBytes(link) - start; sent >= 8<<20 {
		t.Fatalf("%d bytes went up: the upload went on to the end after the cancel", sent)
	}
	// Nothing moves any more: the upload stopped, and nothing starts it
	// again (the link would carry its chunks).
	st, err := a.Status(ctx)
	if err != nil || st.Transfers.Moving != 0 {
		t.Fatalf("transfers after the cancel: %+v %v", st.Transfers, err)
	}
	if _, err := os.Stat(filepath.Join(ln.AgencyDir("sn-pj"), "attachments", "out", attachmentsOf(t, a, res.ID)[0].Object+".age")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the encrypted file is left: %v", err)
	}
	before := upBytes(link)
	next, err := a.Send(ctx, actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead)})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, a, next.ID, agency.CopyDelivered, "gh-ag")
	if moved := upBytes(link) - before; moved > protocol.AttachChunkSize {
		t.Fatalf("%d bytes went up after the cancel, more than a chunk: the upload went on", moved)
	}
	if ids := inboxIDs(t, b); slices.Contains(ids, res.ID) || !slices.Contains(ids, next.ID) {
		t.Fatalf("the recipient's inbox %v", ids)
	}
	if s := copyState(t, a, res.ID, "gh-ag"); s != agency.CopyCancelled {
		t.Fatalf("the cancelled message's copy is %s", s)
	}
}
