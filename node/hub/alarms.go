package hub

import (
	"context"
	"time"

	"github.com/casenode/casenode/protocol"
)

// AlarmAhead is how long before an expiry the secretariat's console
// raises its alarm.
const AlarmAhead = 30 * 24 * time.Hour

// Kinds of the hub's alarms.
const (
	AlarmRosterExpiry = "roster_expiry"
	AlarmTLSExpiry    = "tls_expiry"
	AlarmSilent       = "silent"
	AlarmOverLimits   = "over_limits"
	AlarmWitnessFork  = "witness_fork"
)

// Alarm is something the secretariat should act on.
type Alarm struct {
	Kind string
	// Agency is the member concerned, if any.
	Agency string
	// At is the expiry, or when the member was last seen.
	At time.Time
	// Detail is the limit a member is over.
	Detail string
}

// Alarms returns what the secretariat should act on now: the roster or
// the hub's TLS certificate expiring within AlarmAhead (or expired), an
// active member silent for longer than hub.json's member_silent_after
// (counted from the hub's start when it has not been seen since), a
// member over its limits.
func (h *Hub) Alarms(ctx context.Context, now time.Time) ([]Alarm, error) {
	var out []Alarm
	r := h.Roster().Roster
	if r.Expires.Sub(now) < AlarmAhead {
		out = append(out, Alarm{Kind: AlarmRosterExpiry, At: r.Expires.Time})
	}
	if h.tls != nil && len(h.tls.Certificates) > 0 && h.tls.Certificates[0].Leaf != nil {
		if end := h.tls.Certificates[0].Leaf.NotAfter; end.Sub(now) < AlarmAhead {
			out = append(out, Alarm{Kind: AlarmTLSExpiry, At: end})
		}
	}
	members, err := h.Members(ctx)
	if err != nil {
		return nil, err
	}
	silent := time.Duration(h.cfg.MemberSilentAfter)
	for _, m := range members {
		if m.Status != protocol.StatusActive {
			continue
		}
		if !m.Secretariat && m.Connections == 0 && now.Sub(latest(m.LastSeen, h.started)) > silent {
			out = append(out, Alarm{Kind: AlarmSilent, Agency: m.Agency, At: m.LastSeen})
		}
		if m.Over != "" {
			out = append(out, Alarm{Kind: AlarmOverLimits, Agency: m.Agency, Detail: "member_limits." + m.Over})
		}
	}
	// The members' logs the hub's witness holds evidence against (a fork,
	// a rollback, an inconsistent checkpoint): an agency's log was
	// replaced or rewritten.
	for _, m := range members {
		for _, kind := range m.Contradicted {
			out = append(out, Alarm{Kind: AlarmWitnessFork, Agency: m.Agency, Detail: kind})
		}
	}
	return out, nil
}
