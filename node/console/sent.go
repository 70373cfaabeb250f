package console

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/casenode/casenode/node/agency"
)

// sentCopy is one recipient's copy of a sent message, with why it waits.
type sentCopy struct {
	To string
	*agency.Copy
	// Why is the message id saying why the copy waits, or "".
	Why string
}

type sentRow struct {
	*agency.OutboxItem
	Copies []sentCopy
}

type sentData struct {
	Rows   []sentRow
	Online bool
	// Prev and Next are the links to the pages around this one, or "".
	Prev, Next string
}

// sent lists the messages sent, newest first, with each recipient's state,
// the receipts' times, and why a copy still waits.
func (s *Server) sent(w http.ResponseWriter, r *http.Request, c *call) {
	items, err := s.n.Outbox(r.Context(), agency.OutboxQuery{})
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	st, err := s.n.Status(r.Context())
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	d := &sentData{Online: st.Hub.State == "online"}
	for _, it := range items {
		row := sentRow{OutboxItem: it}
		for _, to := range it.To {
			cp := it.Copies[to]
			if cp == nil {
				cp = &agency.Copy{State: agency.CopyQueued}
			}
			sc := sentCopy{To: to, Copy: cp}
			switch cp.State {
			case agency.CopyQueued:
				sc.Why = "sent.why.queued"
				if !d.Online {
					sc.Why = "sent.why.offline"
				}
			case agency.CopyRelayed:
				sc.Why = "sent.why.relayed"
			case agency.CopyDelivered:
				sc.Why = "sent.why.delivered"
			}
			row.Copies = append(row.Copies, sc)
		}
		d.Rows = append(d.Rows, row)
	}
	slices.Reverse(d.Rows)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	if page > 1 {
		d.Prev = "/sent?page=" + strconv.Itoa(page-1)
	}
	if page*pageRows < len(d.Rows) {
		d.Next = "/sent?page=" + strconv.Itoa(page+1)
	}
	d.Rows = d.Rows[min((page-1)*pageRows, len(d.Rows)):min(page*pageRows, len(d.Rows))]
	s.render(w, r, c, http.StatusOK, "sent", "sent.title", "sent", d)
}
