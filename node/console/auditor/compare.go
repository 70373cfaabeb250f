package auditor

import (
	"net/http"
)

// deliveryProof downloads the one-file proof of a sent message's delivery
// ('casenode audit prove --delivery').
func (s *Server) deliveryProof(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	if _, ok := s.recordIndex(w, r, c, lf); !ok {
		return
	}
	s.fail(w, r, c, http.StatusNotImplemented, "auditor.error.nodelivery")
}

// compareData is the comparison page's data.
type compareData struct {
	Names []string
	A, B  *logSummary
}

// compare shows two of the served logs side by side.
func (s *Server) compare(w http.ResponseWriter, r *http.Request, c *call) {
	d := &compareData{}
	for _, n := range s.names {
		if s.logs[n].r != nil {
			d.Names = append(d.Names, n)
		}
	}
	q := r.URL.Query()
	if lf := s.logs[q.Get("a")]; lf != nil && lf.r != nil {
		d.A = s.summary(lf)
	}
	if lf := s.logs[q.Get("b")]; lf != nil && lf.r != nil {
		d.B = s.summary(lf)
	}
	s.renderPage(w, r, c, http.StatusOK, "compare", &page{Title: "auditor.compare.title", Nav: "compare", Data: d})
}
