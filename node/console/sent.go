package console

import (
	"errors"
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
	// Held says the message waits for its attachments and has not been
	// published: it can be cancelled. Refused names an attachment the hub
	// refused, if any.
	Held    bool
	Refused string
	// UpDone, UpTotal and UpRate are the upload of a held message's
	// attachments: ciphertext bytes at the hub, of all, and bytes a second.
	UpDone, UpTotal int64
	UpRate          float64
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
		row := heldRow(it)
		for _, to := range it.To {
			cp := it.Copies[to]
			if cp == nil {
				cp = &agency.Copy{State: agency.CopyQueued}
			}
			sc := sentCopy{To: to, Copy: cp}
			switch cp.State {
			case agency.CopyQueued:
				sc.Why = "sent.why.queued"
				switch {
				case row.Refused != "":
					sc.Why = "sent.why.refused"
				case row.Held:
					sc.Why = "sent.why.held"
				case !d.Online:
					sc.Why = "sent.why.offline"
				}
			case agency.CopyCancelled:
				sc.Why = "sent.why.cancelled"
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

// heldRow is the row of a sent message, held or not.
func heldRow(it *agency.OutboxItem) sentRow {
	row := sentRow{OutboxItem: it}
	done := true
	for _, a := range it.Attachments {
		done = done && a.State == "done"
		row.UpDone, row.UpTotal, row.UpRate = row.UpDone+a.Done, row.UpTotal+a.CipherSize, row.UpRate+a.Rate
		if a.State == "refused" && row.Refused == "" {
			row.Refused = a.Name
		}
	}
	queued := true
	for _, cp := range it.Copies {
		queued = queued && cp != nil && cp.State == agency.CopyQueued
	}
	row.Held = len(it.Attachments) > 0 && !done && queued
	if !row.Held {
		row.Refused = ""
	}
	return row
}

// sentMessage returns sent message id as the outbox shows it.
func (s *Server) sentMessage(r *http.Request, id string) (*agency.OutboxItem, error) {
	items, err := s.n.Outbox(r.Context(), agency.OutboxQuery{})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return nil, nil
}

// cancelData is the page that asks before cancelling a sent message.
type cancelData struct {
	Row sentRow
}

// cancelPage asks whether to withdraw a message held in the outbox.
func (s *Server) cancelPage(w http.ResponseWriter, r *http.Request, c *call) {
	it, err := s.sentMessage(r, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	if it == nil {
		s.fail(w, r, c, http.StatusNotFound, "sent.cancel.unknown")
		return
	}
	row := heldRow(it)
	if !row.Held {
		s.fail(w, r, c, http.StatusConflict, "sent.cancel.published")
		return
	}
	s.render(w, r, c, http.StatusOK, "sentcancel", "sent.cancel.title", "sent", &cancelData{Row: row})
}

// cancelSent withdraws a message held in the outbox: the audit log records
// it under the person's account.
func (s *Server) cancelSent(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := s.n.CancelOutbox(r.Context(), c.actor(), r.PathValue("id")); err != nil {
		if errors.Is(err, agency.ErrConflict) {
			s.log.Info("console: cancel refused", "message", r.PathValue("id"), "err", err)
			s.fail(w, r, c, http.StatusConflict, "sent.cancel.published")
			return
		}
		s.failErr(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/sent", http.StatusSeeOther)
}
