package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

// Floor measures the crypto a message costs the network end to end, with no
// I/O, on all cores: the sender seals, each recipient opens and signs a
// delivered receipt, the hub checks each receipt's signature (its network
// statistics count only receipts signed by their issuer: node/hub
// stats.go) and the sender verifies every receipt — every signature and
// decryption pipeline/N does per message. It does that crypto the
// way a node does: the sender seals with one long-lived seal.Sealer, which
// keeps the recipients' parsed keys (for post-quantum keys parsing costs as
// much as a signature), so that the floor is not slower than the node and
// the ratio to it not flattered. Its rate is the ceiling the whole pipeline
// is compared with.
func Floor(ctx context.Context, kind protocol.RecipientKind, recipients, messages int, body []byte) (Result, error) {
	ids, err := agencies("bench", kind, recipients+1)
	if err != nil {
		return Result{}, err
	}
	sender, rcpts := ids[0], ids[1:]
	cards := make([]*protocol.MemberCard, len(rcpts))
	for i, r := range rcpts {
		cards[i] = r.Card
	}
	keys := seal.NewCardSet(cardsOf(ids)...)
	sealer := seal.NewSealer(sender)
	work := make(chan int)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	start, cpu := time.Now(), cpuTime()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				if err := floorOne(sealer, sender, rcpts, cards, keys, body); err != nil {
					select {
					case errc <- err:
					default:
					}
					return
				}
			}
		}()
	}
	for i := 0; i < messages && ctx.Err() == nil; i++ {
		select {
		case work <- i:
		case err := <-errc:
			close(work)
			wg.Wait()
			return Result{}, err
		}
	}
	close(work)
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu
	select {
	case err := <-errc:
		return Result{}, err
	default:
	}
	return Result{
		Name:  fmt.Sprintf("floor/%d", recipients),
		Title: fmt.Sprintf("crypto floor: seal, open by %d, receipts signed, checked by the hub and the sender — all cores, no I/O", recipients),
		Params: map[string]any{"recipients": recipients, "body_bytes": len(body), "kind": string(kind),
			"workers": runtime.GOMAXPROCS(0)},
		Messages: messages, Seconds: elapsed.Seconds(), PerSecond: rate(messages, elapsed),
		Values: cpuValues(nil, cpu, messages),
	}, ctx.Err()
}

// floorOne does one message's crypto.
func floorOne(sealer *seal.Sealer, sender *identity.Identity, rcpts []*identity.Identity, cards []*protocol.MemberCard, keys seal.Keys, body []byte) error {
	s, err := sealer.Seal(cards, protocol.TypeLead, body, seal.Options{})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(s.Raw)
	for _, r := range rcpts {
		o, err := seal.Open(s.Raw, r, keys, seal.VerifyOptions{})
		if err != nil {
			return err
		}
		now := time.Now()
		rc := &protocol.Receipt{
			Version: protocol.ReceiptVersion, ID: protocol.NewMessageID(now), Network: sender.Network(),
			From: r.Agency(), To: sender.Agency(), MessageID: o.Header.ID, MessageHash: hex.EncodeToString(sum[:]),
			Kind: protocol.ReceiptDelivered, Time: protocol.NewTime(now),
		}
		payload, err := rc.Marshal()
		if err != nil {
			return err
		}
		signed, err := jws.Sign(r.Signing, protocol.ReceiptJWSType, nil, payload)
		if err != nil {
			return err
		}
		if err := hubCheck(signed, keys); err != nil {
			return err
		}
		got, _, err := jws.Verify(signed, protocol.ReceiptJWSType, protocol.MaxReceiptSize*2, func(kid string) (ed25519.PublicKey, error) {
			return keys.SigningKey(r.Agency(), kid)
		})
		if err != nil {
			return err
		}
		if _, err := protocol.ParseReceipt(got); err != nil {
			return err
		}
	}
	return nil
}

// hubCheck is the hub's check of a stored receipt for its statistics
// (node/hub stats.go parseReceipt): parse, decode, verify the issuer's
// signature.
func hubCheck(signed []byte, keys seal.Keys) error {
	p, err := jws.Parse(signed, protocol.ReceiptJWSType, protocol.MaxReceiptSize*2)
	if err != nil {
		return err
	}
	r, err := protocol.ParseReceipt(p.Payload)
	if err != nil {
		return err
	}
	pub, err := keys.SigningKey(r.From, p.KeyID)
	if err != nil {
		return err
	}
	return p.Verify(pub)
}

// agencies generates n identities a0…a(n-1) in network net.
func agencies(net string, kind protocol.RecipientKind, n int) ([]*identity.Identity, error) {
	out := make([]*identity.Identity, n)
	for i := range out {
		id, err := identity.Generate(net, fmt.Sprintf("a%d", i), fmt.Sprintf("Agency %d", i), "SN", kind, time.Now())
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

func cardsOf(ids []*identity.Identity) []*protocol.MemberCard {
	cards := make([]*protocol.MemberCard, len(ids))
	for i, id := range ids {
		cards[i] = id.Card
	}
	return cards
}

// Body returns a valid case.lead body of about size bytes.
func Body(size int) []byte { return protocol.SizedLead(size) }
