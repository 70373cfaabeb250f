package auditor

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/casenode/casenode/node/auditlog"
)

const (
	// pageSize is how many records a timeline page shows.
	pageSize = 20
	// maxScan bounds the records one timeline page reads: past it, the
	// page offers to go on from where it stopped.
	maxScan = 200_000
)

// errPageFull stops the iteration once a page is full.
var errPageFull = errors.New("page full")

// timelineData is the timeline page's data.
type timelineData struct {
	Name    string
	Query   *query
	Types   []auditlog.Type
	Entries []*entry
	// Size is the log's number of records.
	Size int64
	// From and To are the first and last record read for this page.
	From, To int64
	// Next is the address of the next page and NextStart its first
	// record, or empty at the end of the log.
	Next      string
	NextStart int64
	// First is the address of the first page, or empty on it.
	First string
	// Error is the query's error, shown by the form.
	Error *queryError
}

// timeline shows the log's records, filtered and one page at a time, read
// in one pass from the query's start: memory holds one page.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	d := &timelineData{Name: lf.name, Types: auditlog.Types()}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		var qe *queryError
		errors.As(err, &qe)
		d.Error, d.Query = qe, &query{}
		s.renderPage(w, r, c, http.StatusBadRequest, "timeline", newPage("auditor.timeline.title", "timeline", lf.name, d))
		return
	}
	d.Query = q
	d.Size, _ = lf.r.Size()
	here := "/logs/" + url.PathEscape(lf.name) + "/timeline?"
	if q.Start > 0 {
		d.First = here + q.at(0).Encode()
	}
	from := q.Start
	if !q.Since.IsZero() {
		// Times never decrease along a log: start at the first record of
		// the day asked for, rather than read up to it.
		from = max(from, firstSince(lf.r, d.Size, q.Since))
	}
	var recs []*auditlog.Event
	d.From, d.To = from, from-1
	next := int64(-1)
	err = lf.r.Iterate(from, func(rec *auditlog.Record, payload []byte) error {
		if rec.Seq-from >= maxScan {
			next = rec.Seq
			return errPageFull
		}
		if !q.Until.IsZero() && !rec.Time.Before(q.Until) {
			// Times never decrease along a log: nothing after matches.
			return errPageFull
		}
		d.To = rec.Seq
		if !q.cheap(rec) {
			return nil
		}
		var ev *auditlog.Event
		if q.needsPayload() {
			ev = auditlog.Describe(rec, payload)
			if !q.match(ev) {
				return nil
			}
		}
		if len(recs) == pageSize {
			next, d.To = rec.Seq, rec.Seq-1
			return errPageFull
		}
		if ev == nil {
			ev = auditlog.Describe(rec, payload)
		}
		recs = append(recs, ev)
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		s.log.Warn("audit console: timeline", "log", lf.path, "err", err)
		s.fail(w, r, c, http.StatusInternalServerError, "auditor.error.read", "Detail", err.Error())
		return
	}
	if next >= 0 {
		d.Next, d.NextStart = here+q.at(next).Encode(), next
	}
	latest, _ := lf.r.Latest()
	for _, ev := range recs {
		d.Entries = append(d.Entries, s.entry(lf, ev, latest))
	}
	s.renderPage(w, r, c, http.StatusOK, "timeline", newPage("auditor.timeline.title", "timeline", lf.name, d))
}

// firstSince returns the index of the first of the log's n records written
// at or after t, by binary search on the records' times (which never
// decrease along a log that verifies); n if there is none.
func firstSince(r *auditlog.Reader, n int64, t time.Time) int64 {
	lo, hi := int64(0), n
	for lo < hi {
		mid := lo + (hi-lo)/2
		rec, err := r.Record(mid)
		if err != nil {
			return 0
		}
		if rec.Time.Before(t) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
