package hub

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// MemberHealth is one member of the roster in force as the hub sees it:
// its card's routing facts and what the hub knows of its traffic. Nothing
// here comes from inside a message.
type MemberHealth struct {
	Agency, Name, Country string
	// Secretariat is true for the member that signs the roster.
	Secretariat bool
	Status      protocol.MemberStatus
	Since       time.Time
	// KeyID is the current signing key; Previous the keys still trusted,
	// each until its ValidUntil.
	KeyID    string
	Previous []PreviousKeyView
	// Connections is how many connections the member has open now. A
	// member that is not active may still connect, to read the roster
	// that tells its node so, and nothing else.
	Connections int
	// Disconnected is when the member's last connection ended, as far
	// as the server remembers; zero if none did since the hub started.
	Disconnected time.Time
	// LastSeen is the last time the hub saw the member connected or
	// publishing (since the hub started); zero if never.
	LastSeen time.Time
	// Waiting is how many copies wait in its inbox consumer, undelivered
	// or unacknowledged; Oldest is when the oldest of them was stored.
	Waiting int64
	Oldest  time.Time
	// Refused counts its publications the ingest refused, and its
	// attachment deletes the hub refused, since the hub started.
	Refused int64
	// Stored messages and bytes charged to it, against its quotas; Over
	// names the limit it is over ("" while within them all).
	StoredMsgs, StoredBytes int64
	QuotaMsgs, QuotaBytes   int64
	Over                    string
	// Witnessed is the size of the member's audit log that the hub's
	// witness last cosigned (0: never), and WitnessedAt when; Contradicted
	// names the kinds of evidence the witness holds against its log
	// (fork, rollback, inconsistent), if any.
	Witnessed    int64
	WitnessedAt  time.Time
	Contradicted []string
}

// PreviousKeyView is a member's previous key.
type PreviousKeyView struct {
	KeyID      string
	ValidUntil time.Time
	Revoked    bool
}

// Members returns the health of every member of the roster in force,
// sorted by agency id: the server's connections (Connz, through its Go
// API), the inbox consumers' state, the ingest's counts and the quotas.
func (h *Hub) Members(ctx context.Context) ([]MemberHealth, error) {
	h.mu.Lock()
	r, users := h.roster.Roster, h.users
	h.mu.Unlock()
	open, closed := h.connections(users)
	stream, err := h.js.Stream(ctx, protocol.StreamName(h.cfg.Network))
	if err != nil {
		return nil, err
	}
	out := make([]MemberHealth, 0, len(r.Members))
	for _, m := range r.Members {
		a := m.Card.Agency
		mh := MemberHealth{Agency: a, Name: m.Card.Name, Country: m.Card.Country, Secretariat: a == r.Secretariat,
			Status: m.Status, Since: m.Since.Time, KeyID: m.Card.KeyID(), Connections: open[a]}
		for _, p := range m.Previous {
			mh.Previous = append(mh.Previous, PreviousKeyView{KeyID: p.KeyID(), ValidUntil: p.ValidUntil.Time, Revoked: p.Revoked})
		}
		refused, lastPub := h.ingest.counts.get(a)
		mh.Refused = refused
		mh.LastSeen = latest(lastPub, closed[a])
		mh.Disconnected = closed[a]
		if mh.Connections > 0 {
			mh.LastSeen = time.Now()
		}
		mh.StoredMsgs, mh.StoredBytes, mh.Over = h.quotas.usage(a)
		if mh.Over == "" && h.attach.overChunks(a) {
			// Stopped by the chunk guard (attachguard.go).
			mh.Over = "attachment_bytes"
		}
		mh.QuotaMsgs, mh.QuotaBytes = h.cfg.MemberLimits.StoredMessages, h.cfg.MemberLimits.StoredBytes
		if err := h.inboxState(ctx, stream, a, &mh); err != nil {
			return nil, err
		}
		if cur, err := h.witness.latest(ctx, a); err != nil {
			return nil, err
		} else if cur != nil {
			mh.Witnessed = cur.cp.Size
			if v, err := witness.NewVerifier(h.witness.cosigner.VerifierKey()); err == nil {
				if cs, _, err := witness.CheckCosigned(cur.note, []*witness.Verifier{v}); err == nil && len(cs) > 0 {
					mh.WitnessedAt = cs[0].Time
				}
			}
		}
		out = append(out, mh)
	}
	alarms, err := h.WitnessAlarms(ctx)
	if err != nil {
		return nil, err
	}
	for _, wa := range alarms {
		for i := range out {
			if out[i].Agency == wa.Agency {
				out[i].Contradicted = append(out[i].Contradicted, wa.Kind)
			}
		}
	}
	slices.SortFunc(out, func(a, b MemberHealth) int { return strings.Compare(a.Agency, b.Agency) })
	return out, nil
}

// inboxState fills in what waits in agency's inbox consumer.
func (h *Hub) inboxState(ctx context.Context, stream jetstream.Stream, agency string, mh *MemberHealth) error {
	c, err := stream.Consumer(ctx, protocol.ConsumerName(agency))
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return err
	}
	mh.Waiting = int64(info.NumPending) + int64(info.NumAckPending)
	if mh.Waiting == 0 {
		return nil
	}
	msg, err := stream.GetMsg(ctx, info.AckFloor.Stream+1, jetstream.WithGetMsgSubject(protocol.InboxFilter(h.cfg.Network, agency)))
	if err == nil {
		mh.Oldest = msg.Time
	}
	return nil
}

// connections returns, per agency, its open connections now and the end
// of its most recent closed one the server remembers.
func (h *Hub) connections(users *userKeys) (open map[string]int, closed map[string]time.Time) {
	byKey := make(map[string]string, len(users.Agencies))
	for a, k := range users.Agencies {
		byKey[k] = a
	}
	open, closed = map[string]int{}, map[string]time.Time{}
	if cz, err := h.srv.Connz(&server.ConnzOptions{Username: true, Limit: 1 << 16}); err == nil {
		for _, c := range cz.Conns {
			if a, ok := byKey[c.AuthorizedUser]; ok {
				open[a]++
			}
		}
	}
	if cz, err := h.srv.Connz(&server.ConnzOptions{Username: true, State: server.ConnClosed, Limit: 1 << 16}); err == nil {
		for _, c := range cz.Conns {
			if a, ok := byKey[c.AuthorizedUser]; ok && c.Stop != nil {
				closed[a] = latest(closed[a], *c.Stop)
			}
		}
	}
	return open, closed
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
