package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/links"
	"github.com/casenode/casenode/protocol"
)

// attachSize is the size of the attachment of the kill tests: a few MiB in
// 'make test', CASENODE_ATTACH_SIZE bytes (300 MB in 'make attach-soak').
func attachSize(t *testing.T) int64 {
	if s := os.Getenv("CASENODE_ATTACH_SIZE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("CASENODE_ATTACH_SIZE=%q", s)
		}
		return n
	}
	return 12 << 20
}

// writeRandom writes size pseudo-random bytes to path and returns their
// SHA-256.
func writeRandom(t *testing.T, path string, size int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	r := rand.NewChaCha8([32]byte{byte(size)})
	if _, err := io.CopyN(w, r, size); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// viaLink points an agency's node.json at a degraded link to the hub.
func (pn *procNet) viaLink(agency string) *links.Link {
	pn.t.Helper()
	l, err := links.NewLink(pn.listen)
	if err != nil {
		pn.t.Fatal(err)
	}
	pn.t.Cleanup(l.Close)
	dir := pn.ln.AgencyDir(agency)
	raw, err := os.ReadFile(filepath.Join(dir, config.NodeFile))
	if err != nil {
		pn.t.Fatal(err)
	}
	cfgRaw, err := config.ParseNode(raw)
	if err != nil {
		pn.t.Fatal(err)
	}
	cfgRaw.HubURLs = []string{"nats://" + l.Addr()}
	b, err := cfgRaw.Marshal()
	if err != nil {
		pn.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, config.NodeFile), b, 0o600); err != nil {
		pn.t.Fatal(err)
	}
	return l
}

// attachmentOf returns the one attachment of message id at agency's node.
func (pn *procNet) attachmentOf(who, id string) (agency.Attachment, bool) {
	as, err := pn.client(who).Attachments(context.Background(), id)
	if err != nil || len(as) != 1 {
		return agency.Attachment{}, false
	}
	return as[0], true
}

// TestAttachmentSurvivesKills sends an attachment between two nodes run as
// processes over a link slow enough to kill, with SIGKILL, the sender
// mid-upload, the receiver mid-download, or the hub mid-upload; after the
// restart the file arrives with its SHA-256, and what moved after the
// restart is a fraction of the file.
func TestAttachmentSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and moves a file between processes")
	}
	exe := procBuild(t, t.TempDir())
	size := attachSize(t)
	// A link slow enough that the transfer takes about 8 seconds.
	rateKB := int(max(size/8/1000, 64))
	for _, victim := range []string{"sender", "receiver", "hub"} {
		t.Run(victim, func(t *testing.T) {
			pn := newProcNet(t, exe, "sn-pj", "gh-ag")
			pn.startHub()
			var link *links.Link
			switch victim {
			case "receiver":
				link = pn.viaLink("gh-ag")
				if err := link.ShapeDown(rateKB); err != nil {
					t.Fatal(err)
				}
			default:
				link = pn.viaLink("sn-pj")
				if err := link.Shape(0, 0, rateKB); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range []string{"sn-pj", "gh-ag"} {
				pn.startNode(a)
			}
			for _, a := range []string{"sn-pj", "gh-ag"} {
				pn.waitOnline(a)
			}
			path := filepath.Join(t.TempDir(), "intercept.wav")
			sum := writeRandom(t, path, size)
			res, err := pn.client("sn-pj").Send(context.Background(), agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead,
				Body: protocol.Example(protocol.TypeLead), Attach: []agency.AttachFile{{Path: path}}})
			if err != nil {
				t.Fatal(err)
			}
			watched, killed := "sn-pj", "sn-pj"
			switch victim {
			case "receiver":
				watched, killed = "gh-ag", "gh-ag"
			case "hub":
				killed = procHub
			}
			var before agency.Attachment
			poll.Until(t, 5*time.Minute, victim+" killed at 40%", func() bool {
				a, ok := pn.attachmentOf(watched, res.ID)
				before = a
				return ok && a.Done >= a.CipherSize*2/5
			})
			if before.Done == before.CipherSize {
				t.Fatal("the transfer ended before the kill")
			}
			pn.kill(killed)
			switch killed {
			case procHub:
				pn.startHub()
			default:
				pn.startNode(killed)
			}
			pn.waitOnline(killed2(killed))
			poll.Until(t, 10*time.Minute, "the message delivered", func() bool {
				items, err := pn.client("sn-pj").Outbox(context.Background(), agency.OutboxQuery{})
				return err == nil && len(items) == 1 && items[0].Copies["gh-ag"] != nil && items[0].Copies["gh-ag"].State == agency.CopyDelivered
			})
			h := sha256.New()
			if _, err := pn.client("gh-ag").Attachment(context.Background(), res.ID, "intercept.wav", h); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != sum {
				t.Fatalf("the file arrived with SHA-256 %s, want %s", got, sum)
			}
			after, _ := pn.attachmentOf(watched, res.ID)
			// The node restarted (or, after the hub's restart, went
			// offline and back) and asked the other side what it had.
			if after.Resumed < before.Done-16*protocol.AttachChunkSize {
				t.Errorf("resumed from %d bytes, but %d were done before the kill", after.Resumed, before.Done)
			}
			t.Logf("%s killed at %d of %d bytes: %d bytes (%.1f%% of the file) moved after the restart, resumed from %d; %d bytes asked again after a failed attempt",
				victim, before.Done, after.CipherSize, after.Moved, 100*float64(after.Moved)/float64(after.CipherSize), after.Resumed, after.Again)
			if limit := after.CipherSize - before.Done + 16*protocol.AttachChunkSize; after.Moved > limit {
				t.Errorf("%d bytes moved after the restart, more than what was left at the kill plus what was in flight (%d)", after.Moved, limit)
			}
		})
	}
}

// killed2 is the agency to wait for after a restart: the restarted node,
// or after the hub, the sender.
func killed2(killed string) string {
	if killed == procHub {
		return "sn-pj"
	}
	return killed
}
