package auditor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// job is one verification of a log, run in the server while the browser
// reloads its progress page.
type job struct {
	start       time.Time
	done, total atomic.Int64
	// messages says whether the stored messages' signatures are checked.
	messages bool
	// given says whether an earlier checkpoint was given.
	given bool
	// kid is the key of the card given, or empty.
	kid string

	mu   sync.Mutex
	end  time.Time
	rep  *auditlog.Report
	err  error
	over bool
}

// jobState is what the verification page shows.
type jobState struct {
	// State is running, ok or failed.
	State       string
	Done, Total int64
	// Rate is records per second so far.
	Rate     int64
	Elapsed  time.Duration
	Messages bool
	// Kid is the key of the member card given, or empty.
	Kid    string
	Report *auditlog.Report
	// Failure is the first failure verification found.
	Failure *auditlog.VerifyError
	// Kind is the failure's kind's name, for its translations.
	Kind string
	// Error is why verification could not finish, when it is not a
	// failure of the log.
	Error string
}

func (j *job) state() *jobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := &jobState{State: "running", Done: j.done.Load(), Total: j.total.Load(), Messages: j.messages, Kid: j.kid}
	end := j.end
	if !j.over {
		end = time.Now()
	}
	var ve *auditlog.VerifyError
	switch {
	case !j.over:
	case j.err == nil:
		st.State, st.Report, st.Done = "ok", j.rep, j.rep.Records
	case errors.As(j.err, &ve):
		st.State, st.Failure, st.Kind = "failed", ve, ve.Kind.String()
		if !ve.AtCheckpoint {
			st.Done = ve.Index
		}
	default:
		st.State, st.Error = "failed", j.err.Error()
	}
	st.Elapsed = end.Sub(j.start)
	if s := st.Elapsed.Seconds(); s > 0 {
		st.Rate = int64(float64(st.Done) / s)
	}
	if st.Elapsed >= time.Millisecond {
		st.Elapsed = st.Elapsed.Round(time.Millisecond)
	} else {
		st.Elapsed = st.Elapsed.Round(time.Microsecond)
	}
	return st
}

// current returns the log's last verification, or nil.
func (lf *logFile) current() *job {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return lf.job
}

// startVerify starts a verification of the log, unless one is running,
// and shows its progress.
func (s *Server) startVerify(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	o := auditlog.VerifyOptions{CheckMessage: auditlog.CheckMessage}
	if r.PostFormValue("skip-messages") != "" {
		o.CheckMessage = nil
	}
	if cp := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("checkpoint"), "\r\n", "\n")); cp != "" {
		o.Checkpoint = []byte(cp + "\n")
		if _, _, err := auditlog.ParseCheckpoint(o.Checkpoint); err != nil {
			s.fail(w, r, c, http.StatusBadRequest, "auditor.error.checkpoint", "Detail", err.Error())
			return
		}
	}
	if cj := strings.TrimSpace(r.PostFormValue("card")); cj != "" {
		card, err := protocol.ParseMemberCard([]byte(cj))
		if err != nil {
			s.fail(w, r, c, http.StatusBadRequest, "auditor.error.card", "Detail", err.Error())
			return
		}
		o.Card = card
	}
	lf.mu.Lock()
	if lf.job == nil || lf.job.finished() {
		j := &job{start: time.Now(), messages: o.CheckMessage != nil, given: o.Checkpoint != nil}
		if o.Card != nil {
			j.kid = o.Card.KeyID()
		}
		lf.job = j
		s.jobs.Add(1)
		go s.run(j, lf.r, o)
	}
	lf.mu.Unlock()
	http.Redirect(w, r, "/logs/"+url.PathEscape(lf.name)+"/verify", http.StatusSeeOther)
}

func (j *job) finished() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.over
}

// run verifies, recording the progress for the page to show.
func (s *Server) run(j *job, r *auditlog.Reader, o auditlog.VerifyOptions) {
	defer s.jobs.Done()
	o.Progress = func(done, total int64) {
		j.done.Store(done)
		j.total.Store(total)
	}
	rep, err := verifySafely(s.ctx, r, o)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.rep, j.err, j.end, j.over = rep, err, time.Now(), true
	if errors.Is(err, context.Canceled) {
		return
	}
	if err != nil {
		s.log.Warn("audit console: verification failed", "log", r.Path(), "err", err)
	} else {
		s.log.Info("audit console: verified", "log", r.Path(), "records", rep.Records)
	}
}

// verifyData is the verification page's data.
type verifyData struct {
	Name string
	Job  *jobState
}

// verifyPage shows the progress of the log's verification, reloading
// itself every second while it runs, then the result in words.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request, c *call, lf *logFile) {
	j := lf.current()
	if j == nil {
		http.Redirect(w, r, "/logs/"+url.PathEscape(lf.name), http.StatusSeeOther)
		return
	}
	st := j.state()
	pg := newPage("auditor.verify.title", "verify", lf.name, &verifyData{Name: lf.name, Job: st})
	if st.State == "running" {
		pg.Refresh = 1
	}
	s.renderPage(w, r, c, http.StatusOK, "verify", pg)
}

// verifySafely verifies, turning a panic of the file's reader (bbolt
// panics on a file changed under it) into an error, so that it stops this
// verification and not the console.
func verifySafely(ctx context.Context, r *auditlog.Reader, o auditlog.VerifyOptions) (rep *auditlog.Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("reading %s failed (was the file changed while the console had it open?): %v", r.Path(), p)
		}
	}()
	if n, err := r.Size(); err == nil && o.Progress != nil {
		o.Progress(0, n)
	}
	return r.Verify(ctx, o)
}
