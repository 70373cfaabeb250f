package auditor

import (
	"net/http"
	"os"

	"github.com/casenode/casenode/node/auditlog"
)

// logSummary is one log as the list and its overview show it.
type logSummary struct {
	Name   string
	Path   string
	Origin string
	Agency string
	// Error says why the file did not open as an audit log.
	Error   string
	Records int64
	Bytes   int64
	Latest  *auditlog.Checkpoint
	// Checkpoints is how many checkpoints the log stores.
	Checkpoints int
	// Verified is the state of the last verification: "", running, ok or
	// failed.
	Verified string
}

func (s *Server) summary(lf *logFile) *logSummary {
	ls := &logSummary{Name: lf.name, Path: lf.path}
	if fi, err := os.Stat(lf.path); err == nil {
		ls.Bytes = fi.Size()
	}
	if lf.r == nil {
		ls.Error = lf.err.Error()
		return ls
	}
	ls.Origin, ls.Agency = lf.r.Origin(), lf.own()
	ls.Records, _ = lf.r.Size()
	if cps, err := lf.r.Checkpoints(); err == nil {
		ls.Checkpoints = len(cps)
		if len(cps) > 0 {
			ls.Latest = cps[len(cps)-1]
		}
	}
	if j := lf.current(); j != nil {
		ls.Verified = j.state().State
	}
	return ls
}

// index lists the logs served.
func (s *Server) index(w http.ResponseWriter, r *http.Request, c *call) {
	var logs []*logSummary
	for _, n := range s.names {
		logs = append(logs, s.summary(s.logs[n]))
	}
	s.renderPage(w, r, c, http.StatusOK, "index", newPage("auditor.index.title", "index", "", logs))
}

// overviewData is the log's overview page.
type overviewData struct {
	*logSummary
	// Others are the other logs that opened, to compare with.
	Others []string
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	d := &overviewData{logSummary: s.summary(lf)}
	for _, n := range s.names {
		if n != lf.name && s.logs[n].r != nil {
			d.Others = append(d.Others, n)
		}
	}
	s.renderPage(w, r, c, http.StatusOK, "overview", newPage("auditor.overview.title", "overview", lf.name, d))
}

// latestCheckpoint downloads the log's newest stored checkpoint, as
// 'casenode audit verify --save-checkpoint' writes it.
func (s *Server) latestCheckpoint(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	cp, err := lf.r.Latest()
	if err != nil || cp == nil {
		s.fail(w, r, c, http.StatusNotFound, "auditor.error.nocheckpoint")
		return
	}
	download(w, lf.name+".checkpoint", "text/plain; charset=utf-8", cp.Note)
}

// download sends data as a file to save.
func download(w http.ResponseWriter, name, ctype string, data []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeName(name)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data)
}

// safeName keeps a file name to letters, digits, '.', '-' and '_'.
func safeName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
