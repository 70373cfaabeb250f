package console

import (
	"time"

	"github.com/casenode/casenode/node/console/locale"
)

// transferText says how far a transfer of total bytes is: the share and
// the bytes done, and while it moves its rate and the time left at that
// rate.
func transferText(p *locale.Printer, done, total int64, rate float64) string {
	pct := int64(0)
	if total > 0 {
		pct = done * 100 / total
	}
	args := []any{"Percent", pct, "Done", sizeOf(done), "Total", sizeOf(total)}
	if rate <= 0 || done >= total {
		return p.T("attachment.progress", args...)
	}
	left := time.Duration(float64(total-done) / rate * float64(time.Second))
	in := p.T("attachment.left.minute")
	if left >= time.Minute {
		in = p.Duration(left)
	}
	return p.T("attachment.progress.rate", append(args, "Rate", sizeOf(int64(rate)), "Left", in)...)
}
