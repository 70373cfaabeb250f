package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows a progress bar on a terminal's stderr during a long run,
// and ends every run with the number of records and the rate.
type progress struct {
	w     io.Writer
	tty   bool
	what  string
	start time.Time
	drawn time.Time
	done  int64
}

// progressRedraw is the least time between two drawings of the bar.
const progressRedraw = 100 * time.Millisecond

func newProgress(e *env, what string) *progress {
	p := &progress{w: e.stderr, what: what, start: time.Now()}
	if f, ok := e.stderr.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

// update records that done of total records are checked, and redraws the
// bar on a terminal.
func (p *progress) update(done, total int64) {
	p.done = done
	if !p.tty || total <= 0 || time.Since(p.drawn) < progressRedraw {
		return
	}
	p.drawn = time.Now()
	const width = 30
	filled := int(done * width / total)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d", p.what, strings.Repeat("#", filled), strings.Repeat(".", width-filled), done*100/total, done, total)
}

// finish clears the bar and prints how many records were handled, how
// fast.
func (p *progress) finish(records int64, verb string) {
	if p.tty && !p.drawn.IsZero() {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", 80))
	}
	d := time.Since(p.start)
	rate := float64(records) / max(d.Seconds(), 1e-9)
	fmt.Fprintf(p.w, "%s %s in %s (%.0f records/s)\n", count(records, "record", "records"), verb, d.Round(time.Millisecond), rate)
}
