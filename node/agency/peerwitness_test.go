package agency_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
)

// peerCosigned waits until peer has cosigned agency's newest checkpoint
// and returns its size.
func peerCosigned(t *testing.T, w *testNetwork, name, peer string) int64 {
	t.Helper()
	n := w.node(name)
	var size int64
	poll.Until(t, 30*time.Second, name+"'s newest checkpoint cosigned by "+peer, func() bool {
		s, err := n.Status(context.Background())
		if err != nil || s.Audit.Checkpoint == nil {
			return false
		}
		size = s.Audit.Checkpoint.Size
		for _, p := range n.PeerWitnesses() {
			if p.Agency == peer && p.Cosigned == size {
				return true
			}
		}
		return false
	})
	return size
}

// signCheckpointNote signs a checkpoint of origin, size and root with key,
// as an audit log does.
func signCheckpointNote(t *testing.T, origin string, size int64, root [32]byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	pub := key.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(origin+"\n\x01"), pub...))
	s, err := note.NewSigner(fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", origin, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...))))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestPeerWitnessCosignsAndRefusesAFork: three nodes; sn-pj and ng-mj
// have gh-ag as their peer witness. gh-ag cosigns their checkpoints (a
// state per log), sn-pj stores the cosignature, which verify accepts with
// gh-ag's key from the roster or given as --witness-key; a checkpoint of
// sn-pj's log forked from the one gh-ag cosigned is refused, and gh-ag
// keeps the evidence and raises its alarm.
func TestPeerWitnessCosignsAndRefusesAFork(t *testing.T) {
	w := newNetwork(t, netOptions{
		Node: func(o *agency.Options) { o.WitnessInterval = 20 * time.Millisecond },
		Config: func(c *config.Node) {
			if c.Agency != "gh-ag" {
				c.Witness.Peers = []string{"gh-ag"}
			}
		},
	}, "sn-pj", "gh-ag", "ng-mj")
	a := w.node("sn-pj")
	first := peerCosigned(t, w, "sn-pj", "gh-ag")
	send(t, a, protocol.TypeLead, "", "ng-mj")
	second := peerCosigned(t, w, "sn-pj", "gh-ag")
	if second <= first {
		t.Fatalf("gh-ag cosigned %d then %d: the new checkpoint was not cosigned", first, second)
	}
	peerCosigned(t, w, "ng-mj", "gh-ag")

	// The auditor: gh-ag's key comes from the roster in the log, or is
	// given.
	peerName := protocol.PeerWitnessName(w.network, "gh-ag")
	rep := verifySnapshot(t, w, "sn-pj")
	if rep.NewestCosigned < second || !cosignedBy(rep, peerName) {
		t.Fatalf("verify: newest cosigned %d, cosigners %+v; want %d by %s", rep.NewestCosigned, rep.Cosigned, second, peerName)
	}
	bKey := protocol.WitnessKey(peerName, w.node("gh-ag").SigningKey().Public().(ed25519.PublicKey))
	if rep := verifySnapshotWith(t, w, "sn-pj", auditlog.VerifyOptions{WitnessKeys: []string{bKey}}); !cosignedBy(rep, peerName) {
		t.Fatalf("verify with --witness-key %s: cosigners %+v", bKey, rep.Cosigned)
	}

	// A fork: another checkpoint of the size gh-ag cosigned last, signed
	// by sn-pj's key. First the log settles (the lead's delivered receipt
	// is a record), so that the fork, not a rollback, is what gh-ag sees.
	b := w.node("gh-ag")
	var held int64
	poll.Until(t, 30*time.Second, "sn-pj's log settled and cosigned by gh-ag", func() bool {
		s, err := a.Status(context.Background())
		if err != nil || s.Audit.Checkpoint == nil || s.Outbox.Copies[agency.CopyDelivered] == 0 {
			return false
		}
		held = s.Audit.Checkpoint.Size
		return b.PeerWitnessedSize("sn-pj") == held && a.PeerWitnesses()[0].Cosigned == held
	})
	fork := signCheckpointNote(t, protocol.LogOrigin(w.network, "sn-pj"), held, sha256.Sum256([]byte("another history")), a.SigningKey())
	if err := a.AskPeer(context.Background(), "gh-ag", fork, held); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "gh-ag's fork evidence and alarm", func() bool {
		as, err := b.PeerWitnessAlarms()
		if err != nil || len(as) != 1 || as[0].Agency != "sn-pj" || as[0].Kind != "fork" || as[0].Submitted != string(fork) {
			if len(as) > 0 {
				t.Logf("gh-ag evidence: %+v", as[0])
			}
			return false
		}
		alarms, err := b.Alarms(context.Background())
		return err == nil && slices.ContainsFunc(alarms, func(al agency.Alarm) bool {
			return al.Kind == agency.AlarmPeerWitness && strings.Contains(al.Text, "sn-pj")
		})
	})
	// sn-pj hears of the refusal: its witness alarm.
	poll.Until(t, 30*time.Second, "sn-pj's witness alarm", func() bool {
		alarms, err := a.Alarms(context.Background())
		return err == nil && slices.ContainsFunc(alarms, func(al agency.Alarm) bool {
			return al.Kind == agency.AlarmWitness && strings.Contains(al.Text, "peer witness gh-ag refused")
		})
	})
	// A rollback: an earlier checkpoint of the log, in a request made
	// now (an earlier request delivered late is no evidence).
	earlier, err := a.CheckpointNote(held - 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AskPeer(context.Background(), "gh-ag", earlier, held); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "gh-ag's rollback evidence", func() bool {
		as, err := b.PeerWitnessAlarms()
		return err == nil && len(as) == 2 && slices.ContainsFunc(as, func(a *store.PeerWitnessAlarm) bool {
			return a.Kind == "rollback" && a.Submitted == string(earlier)
		})
	})
	// ng-mj's log, witnessed by the same peer, is not concerned.
	if as, _ := b.PeerWitnessAlarms(); slices.ContainsFunc(as, func(a *store.PeerWitnessAlarm) bool { return a.Agency != "sn-pj" }) {
		t.Fatalf("gh-ag alarms %+v, want only sn-pj's", as)
	}
}

func cosignedBy(rep *auditlog.Report, name string) bool {
	for _, c := range rep.Cosigned {
		if slices.Contains(c.Witnesses, name) {
			return true
		}
	}
	return false
}
