package console

import (
	"net/http"
	"slices"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

type casesData struct {
	Cases []*agency.CaseSummary
}

func (s *Server) cases(w http.ResponseWriter, r *http.Request, c *call) {
	cs, err := s.n.Cases(r.Context())
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	slices.SortFunc(cs, func(a, b *agency.CaseSummary) int { return b.Last.Compare(a.Last) })
	s.render(w, r, c, http.StatusOK, "cases", "cases.title", "cases", &casesData{Cases: cs})
}

// withdrawn reports whether a message sent was cancelled before it left:
// it asks nothing and answers nothing.
func withdrawn(m *agency.ThreadMessage) bool {
	for _, c := range m.Copies {
		if c != nil && c.State == agency.CopyCancelled {
			return true
		}
	}
	return false
}

// waiting is something of a case still unanswered: a request received
// that has had no reply from here, or a copy sent that its recipient has
// not read.
type waiting struct {
	ID      string
	Type    protocol.MessageType
	Summary string
	// Who is the agency that has to act.
	Who   string
	Since time.Time
	// Out says that the other agency has to act (a message sent).
	Out bool
}

type caseData struct {
	T       *agency.Thread
	Waiting []waiting
}

// caseThread shows a case's timeline and what in it waits for an answer,
// for how long.
func (s *Server) caseThread(w http.ResponseWriter, r *http.Request, c *call) {
	t, err := s.n.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	d := &caseData{T: t}
	// What came in and got no message back from here after it.
	for i, it := range t.Items {
		if it.Direction == agency.DirectionIn && (it.Type == "case.request" || it.Type == "case.lead") {
			answered := false
			for _, later := range t.Items[i+1:] {
				if later.Direction == agency.DirectionOut && slices.Contains(later.To, it.From) && !withdrawn(later) {
					answered = true
				}
			}
			if !answered {
				d.Waiting = append(d.Waiting, waiting{ID: it.ID, Type: it.Type, Summary: it.Summary, Who: s.n.Agency(), Since: it.Created})
			}
		}
		if it.Direction == agency.DirectionOut && it.Type == "case.request" && !withdrawn(it) {
			answered := false
			for _, later := range t.Items[i+1:] {
				if later.Direction == agency.DirectionIn && (later.Type == "case.reply" || later.Type == "case.status") {
					answered = true
				}
			}
			if !answered {
				for _, to := range it.To {
					d.Waiting = append(d.Waiting, waiting{ID: it.ID, Type: it.Type, Summary: it.Summary, Who: to, Since: it.Created, Out: true})
				}
			}
		}
	}
	s.render(w, r, c, http.StatusOK, "case", "case.title", "cases", d)
}
