package auditor

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/casenode/casenode/node/auditlog"
)

// recordIndex reads the {index} of the path: a record of the log.
func (s *Server) recordIndex(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) (int64, bool) {
	v := r.PathValue("index")
	i, err := strconv.ParseInt(v, 10, 64)
	n, serr := lf.r.Size()
	if err != nil || i < 0 || strconv.FormatInt(i, 10) != v || serr != nil || i >= n {
		s.fail(w, r, c, http.StatusNotFound, "auditor.error.norecord", "Index", v)
		return 0, false
	}
	return i, true
}

// recordPage shows one record whole: its fields, hashes and inclusion
// proof.
func (s *Server) recordPage(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	i, ok := s.recordIndex(w, r, c, lf)
	if !ok {
		return
	}
	var ev *auditlog.Event
	err := lf.r.Iterate(i, func(rec *auditlog.Record, payload []byte) error {
		ev = auditlog.Describe(rec, payload)
		return errPageFull
	})
	if ev == nil {
		s.fail(w, r, c, http.StatusInternalServerError, "auditor.error.read", "Detail", errors.Join(err).Error())
		return
	}
	latest, _ := lf.r.Latest()
	e := s.entry(lf, ev, latest)
	e.Open = true
	s.renderPage(w, r, c, http.StatusOK, "record", newPage("auditor.record.title", "timeline", lf.name, e))
}

// proofFile downloads the record's inclusion proof: the file 'casenode
// audit prove --index N --out FILE' writes, which 'casenode audit
// check-proof' checks.
func (s *Server) proofFile(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	i, ok := s.recordIndex(w, r, c, lf)
	if !ok {
		return
	}
	p, err := lf.r.Prove(i)
	if err != nil {
		s.fail(w, r, c, http.StatusNotFound, "auditor.error.notcovered", "Index", i)
		return
	}
	data, err := auditlog.EncodeProof(p)
	if err != nil {
		s.fail(w, r, c, http.StatusInternalServerError, "auditor.error.read", "Detail", err.Error())
		return
	}
	download(w, lf.name+"-record-"+strconv.FormatInt(i, 10)+".proof.json", "application/json", append(data, '\n'))
}
