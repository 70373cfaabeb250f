package agency_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/bench"
	"github.com/casenode/casenode/node/lab/links"
	"github.com/casenode/casenode/protocol"
)

// linkBytes is what went through l in direction d so far.
func linkBytes(l *links.Link, d bench.Direction) int64 {
	var n int64
	for _, b := range l.Meter.Snapshot()[d] {
		n += b
	}
	return n
}

// TestAttachmentResumesAfterTheLinkDrops: a 16 MiB attachment goes from
// sn-pj to gh-ag over a link of 2 MB/s; halfway, the link of the sender
// (the upload) or of the recipient (the download) drops for a few
// seconds, the nodes staying up. Once it is back the file arrives whole
// and checked, and what went over that link after the cut is what was
// left plus what was in flight at the cut, not the whole file again.
func TestAttachmentResumesAfterTheLinkDrops(t *testing.T) {
	t.Parallel()
	const size = 16 << 20
	for _, side := range []string{"upload", "download"} {
		t.Run(side, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			linked, dir := "sn-pj", bench.Up
			if side == "download" {
				linked, dir = "gh-ag", bench.Down
			}
			ln, link := linkedPair(t, ctx, linked)
			a, b := ln.Node("sn-pj"), ln.Node("gh-ag")
			var err error
			if side == "upload" {
				err = link.Shape(0, 0, 2000)
			} else {
				err = link.ShapeDown(2000)
			}
			if err != nil {
				t.Fatal(err)
			}
			path, sum := writeFile(t, t.TempDir(), "intercepts.wav", size)
			start := linkBytes(link, dir)
			res, err := a.Send(ctx, actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
				Attach: []agency.AttachFile{{Path: path}}})
			if err != nil {
				t.Fatal(err)
			}
			poll.Until(t, 2*time.Minute, "half the file over the link", func() bool { return linkBytes(link, dir)-start >= size/2 })
			link.Cut()
			atCut := linkBytes(link, dir)
			// Down long enough for the transfer to fail and back off.
			poll.Until(t, time.Minute, "the node to see the link down", func() bool {
				st, err := ln.Node(linked).Status(ctx)
				return err == nil && st.Hub.State != "online"
			})
			if err := link.Restore(); err != nil {
				t.Fatal(err)
			}
			waitState(t, a, res.ID, agency.CopyDelivered, "gh-ag")
			var out bytes.Buffer
			if _, err := b.AttachmentGet(ctx, actor, res.ID, "intercepts.wav", &out); err != nil {
				t.Fatal(err)
			}
			if s := sha256.Sum256(out.Bytes()); hex.EncodeToString(s[:]) != sum {
				t.Fatal("the file arrived with another SHA-256")
			}
			after := linkBytes(link, dir) - atCut
			left := int64(size) - (atCut - start)
			t.Logf("%s: cut after %d of %d bytes; %d bytes went over the link after it (%d were left)", side, atCut-start, size, after, left)
			if limit := left + 16*protocol.AttachChunkSize; after > limit {
				t.Fatalf("%d bytes went over the link after the cut, more than the %d left plus what was in flight (limit %d): the %s started over", after, left, limit, side)
			}
		})
	}
}
