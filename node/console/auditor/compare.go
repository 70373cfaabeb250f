package auditor

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/protocol"
)

// maxTimelines bounds the paired messages the comparison lists: the rest
// are counted.
const maxTimelines = 100

// deliveryProof downloads the one-file proof of a sent message's delivery
// to one recipient (?to=AGENCY, or its one recipient): the file 'casenode
// audit prove --delivery' writes, which 'casenode audit check-proof
// --secretariat' checks offline.
func (s *Server) deliveryProof(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	i, ok := s.recordIndex(w, r, c, lf)
	if !ok {
		return
	}
	to := r.URL.Query().Get("to")
	if to != "" {
		if err := protocol.ValidateID("agency", to); err != nil {
			s.fail(w, r, c, http.StatusBadRequest, "auditor.delivery.failed", "Detail", err.Error())
			return
		}
	}
	rec, err := lf.r.Record(i)
	if err != nil || rec.Type != auditlog.TypeSent || rec.MessageID == "" {
		s.fail(w, r, c, http.StatusNotFound, "auditor.delivery.notsent", "Index", i)
		return
	}
	d, err := evidence.ProveDelivery(lf.r, rec.MessageID, to)
	switch {
	case errors.Is(err, evidence.ErrNotDelivered):
		s.fail(w, r, c, http.StatusNotFound, "auditor.delivery.notdelivered", "Detail", err.Error())
		return
	case errors.Is(err, auditlog.ErrNotCovered):
		s.fail(w, r, c, http.StatusNotFound, "auditor.delivery.notcovered", "Detail", err.Error())
		return
	case err != nil:
		s.fail(w, r, c, http.StatusNotFound, "auditor.delivery.failed", "Detail", err.Error())
		return
	}
	data, err := evidence.EncodeDelivery(d)
	if err != nil {
		s.fail(w, r, c, http.StatusInternalServerError, "auditor.delivery.failed", "Detail", err.Error())
		return
	}
	if to == "" {
		to = "delivery"
	}
	download(w, rec.MessageID+"-"+to+".delivery.json", "application/json", append(data, '\n'))
}

// compareData is the comparison page's data.
type compareData struct {
	Names []string
	// A is the sender's log, B the receiver's.
	A, B *logSummary
	// Report is the cross-log audit of A against B.
	Report *evidence.Report
	// Worst is the most serious finding, or empty.
	Worst string
	// Kinds are the kinds of finding the report has, most serious first.
	Kinds []string
	// Timelines are the paired messages listed, More how many others.
	Timelines []evidence.Timeline
	More      int
	// Message is the message the comparison was opened for, or empty.
	Message string
	// Swap is the comparison the other way round.
	Swap string
	// Error is why the logs could not be compared.
	Error string
}

// compare shows two of the served logs side by side: the cross-log audit
// of the first (the sender) against the second (the receiver).
func (s *Server) compare(w http.ResponseWriter, r *http.Request, c *call) {
	d := &compareData{}
	for _, n := range s.names {
		if s.logs[n].r != nil {
			d.Names = append(d.Names, n)
		}
	}
	q := r.URL.Query()
	la, lb := s.logs[q.Get("a")], s.logs[q.Get("b")]
	if la != nil && la.r != nil {
		d.A = s.summary(la)
	}
	if lb != nil && lb.r != nil {
		d.B = s.summary(lb)
	}
	if m := q.Get("message"); m != "" && protocol.ValidateMessageID(m) == nil {
		d.Message = m
	}
	status := http.StatusOK
	if d.A != nil && d.B != nil {
		d.Swap = "/compare?" + url.Values{"a": {lb.name}, "b": {la.name}}.Encode()
		if la == lb {
			d.Error, status = c.p.T("auditor.compare.same"), http.StatusBadRequest
		} else if rep, err := evidence.Diff(la.r, lb.r); err != nil {
			d.Error, status = err.Error(), http.StatusBadRequest
		} else {
			d.report(rep)
		}
	}
	s.renderPage(w, r, c, status, "compare", newPage("auditor.compare.title", "compare", "", d))
}

// report fills the page from the cross-log audit.
func (d *compareData) report(rep *evidence.Report) {
	d.Report, d.Worst = rep, string(rep.Worst())
	for _, k := range evidence.Findings() {
		if slices.ContainsFunc(rep.Issues, func(is evidence.Issue) bool { return is.Kind == k }) {
			d.Kinds = append(d.Kinds, string(k))
		}
	}
	for _, tl := range rep.Timelines {
		if d.Message != "" && tl.MessageID != d.Message {
			continue
		}
		if len(d.Timelines) == maxTimelines {
			d.More++
			continue
		}
		d.Timelines = append(d.Timelines, tl)
	}
}

// logOf returns the name of the served log of agency, or empty.
func (s *Server) logOf(agency string) string {
	for _, n := range s.names {
		if lf := s.logs[n]; lf.r != nil && lf.own() == agency {
			return n
		}
	}
	return ""
}
