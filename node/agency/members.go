package agency

import (
	"context"
	"sort"

	"github.com/casenode/casenode/protocol"
)

// Member is an agency of the roster in force, as a sender picks its
// recipients.
type Member struct {
	Agency  string                `json:"agency"`
	Name    string                `json:"name"`
	Country string                `json:"country"`
	Status  protocol.MemberStatus `json:"status"`
}

// Members returns the agencies of the roster in force, this one included,
// in agency order; none before the first roster.
func (n *Node) Members(ctx context.Context) []Member {
	rf := n.rosterNow()
	if rf == nil {
		return nil
	}
	out := make([]Member, 0, len(rf.roster.Members))
	for _, m := range rf.roster.Members {
		out = append(out, Member{Agency: m.Card.Agency, Name: m.Card.Name, Country: m.Card.Country, Status: m.Status})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agency < out[j].Agency })
	return out
}
