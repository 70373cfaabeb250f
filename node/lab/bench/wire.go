package bench

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"filippo.io/age"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
)

// Wire measures the bytes on the sender's link per message, through a
// Meter between the sending node and the hub: the publications of the
// message's copies alone (NATS framing and headers included), and
// everything that crosses the link in both directions while the messages
// go out and their delivered receipts come back (acknowledgements, pull
// requests, receipts, pings). Both are compared with the size of age's own
// ciphertext of the same body to the same recipients, measured in this
// run. version is the sealed format the sender writes.
func Wire(ctx context.Context, dir string, kind protocol.RecipientKind, recipients, messages, version int, body []byte) (Result, error) {
	n := recipients + 1
	agencies := make([]localnet.Agency, n)
	ids := make([]string, n)
	for i := range agencies {
		ids[i] = fmt.Sprintf("a%d", i)
		agencies[i] = localnet.Agency{ID: ids[i], Name: fmt.Sprintf("Agency %d", i), Country: "SN"}
	}
	var meter *Meter
	var merr error
	lo := localnet.Options{Network: "bench", Kind: kind, Hub: liftLimits,
		Node: func(_ string, o *agency.Options) { o.FormatVersion = version },
		HubAddr: func(a, hub string) string {
			if a != ids[0] {
				return hub
			}
			if meter == nil {
				meter, merr = NewMeter(hub)
			}
			if merr != nil {
				return hub
			}
			return meter.Addr()
		}}
	ln, err := localnet.Create(ctx, dir, lo, agencies...)
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()
	if merr != nil || meter == nil {
		return Result{}, fmt.Errorf("wire: meter: %v", merr)
	}
	defer meter.Close()
	for _, a := range ids {
		if _, err := ln.Start(ctx, a); err != nil {
			return Result{}, err
		}
	}
	for _, a := range ids {
		if err := ln.WaitReady(ctx, a, n+1); err != nil {
			return Result{}, err
		}
	}
	ageSize, err := ageCiphertextSize(ln, ids[1:], body)
	if err != nil {
		return Result{}, err
	}
	before := meter.Snapshot()
	beforeS2 := meter.SnapshotS2()
	to := ids[1:]
	if err := sendAll(ctx, ln.Node(ids[0]), messages, 4, body, func(int) []string { return to }); err != nil {
		return Result{}, fmt.Errorf("wire: send: %w", err)
	}
	if err := waitDelivered(ctx, ln.Node(ids[0]), int64(messages*recipients)); err != nil {
		return Result{}, fmt.Errorf("wire: %w", err)
	}
	after := meter.Snapshot()
	afterS2 := meter.SnapshotS2()
	delta := func(d Direction, c Category) float64 { return float64(after[d][c] - before[d][c]) }
	deltaS2 := func(d Direction, c Category) float64 { return float64(afterS2[d][c] - beforeS2[d][c]) }
	per := func(x float64) float64 { return x / float64(messages) }
	up := per(delta(Up, CategoryMessage))
	upS2 := per(deltaS2(Up, CategoryMessage))
	var all, allS2 float64
	for _, d := range []Direction{Up, Down} {
		for _, c := range []Category{CategoryMessage, CategoryReceipt, CategoryOther} {
			all += delta(d, c)
			allS2 += deltaS2(d, c)
		}
	}
	all, allS2 = per(all), per(allS2)
	allUp := per(delta(Up, CategoryMessage) + delta(Up, CategoryReceipt) + delta(Up, CategoryOther))
	return Result{
		Name:  fmt.Sprintf("wire/%s/%d/v%d", kind, recipients, version),
		Title: fmt.Sprintf("bytes on the sender's link per message, 1 agency → %d, format v%d, %s keys", recipients, version, kind),
		Params: map[string]any{"recipients": recipients, "body_bytes": len(body), "kind": string(kind),
			"format_version": version},
		Messages: messages,
		Values: map[string]float64{
			"age_ciphertext_bytes":            float64(ageSize),
			"publications_up_bytes_per_msg":   up,
			"all_up_bytes_per_msg":            allUp,
			"with_receipt_bytes_per_msg":      all,
			"publications_up_ratio_to_age":    up / float64(ageSize),
			"with_receipt_ratio_to_age":       all / float64(ageSize),
			"receipt_down_bytes_per_msg":      per(delta(Down, CategoryReceipt)),
			"other_up_and_down_bytes_per_msg": per(delta(Up, CategoryOther) + delta(Down, CategoryOther)),
			// What S2 on the connection would save, each operation
			// compressed alone (NATS compresses routes and leaf-node
			// connections, not client connections).
			"publications_up_s2_bytes_per_msg": upS2,
			"publications_up_s2_saving":        1 - upS2/up,
			"with_receipt_s2_bytes_per_msg":    allS2,
			"with_receipt_s2_saving":           1 - allS2/all,
		},
	}, nil
}

// ageCiphertextSize is the size of age's own ciphertext of body to the
// recipients' age recipients (no sender, no signature), as 'age -r … -r …'
// writes it.
func ageCiphertextSize(ln *localnet.Net, to []string, body []byte) (int, error) {
	var rs []age.Recipient
	for _, a := range to {
		r, err := protocol.ParseRecipient(ln.Identity(a).Card.AgeRecipient)
		if err != nil {
			return 0, err
		}
		rs = append(rs, r)
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, rs...)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(body); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return ct.Len(), nil
}

// wireScenarios runs Wire for both recipient kinds, one and three
// recipients, format versions 1 and 2.
func wireScenarios(ctx context.Context, dir string, messages int, body []byte, add func(Result) Result, logf func(string, ...any)) error {
	for _, kind := range []protocol.RecipientKind{protocol.KindHybrid, protocol.KindClassic} {
		for _, n := range []int{1, 3} {
			var v1 float64
			for _, v := range []int{protocol.FormatVersion1, protocol.FormatVersion2} {
				logf("wire: %d messages to %d recipient(s), %s keys, format v%d…", messages, n, kind, v)
				r, err := Wire(ctx, filepath.Join(dir, fmt.Sprintf("wire-%s-%d-v%d", kind, n, v)), kind, n, messages, v, body)
				if err != nil {
					return fmt.Errorf("wire/%s/%d/v%d: %w", kind, n, v, err)
				}
				if v == protocol.FormatVersion1 {
					v1 = r.Values["publications_up_bytes_per_msg"]
				} else {
					r.Values["publications_up_v2_to_v1"] = r.Values["publications_up_bytes_per_msg"] / v1
				}
				add(r)
			}
		}
	}
	return nil
}
