package secretariat

import (
	"net/url"
	"testing"
	"time"

	"github.com/casenode/casenode/node/hub"
)

// FuzzParseCardForm: a form is either refused at a named field or gives a
// valid card, a bounded passphrase and an overlap within the bounds.
func FuzzParseCardForm(f *testing.F) {
	f.Add("card=%7B%7D&passphrase=x&overlap=72h", true)
	f.Add("card=&overlap=-1h", true)
	f.Add("passphrase=abc", false)
	f.Fuzz(func(t *testing.T, form string, rotation bool) {
		v, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		cf, fe := parseCardForm(v, rotation)
		if fe != nil {
			if fe.Field == "" || fe.Msg == "" {
				t.Fatalf("an error without its field: %+v", fe)
			}
			return
		}
		if cf.Card.Validate() != nil || len(cf.Passphrase) > maxPassphrase || cf.Overlap < 0 || cf.Overlap > hub.MaxOverlap {
			t.Fatalf("accepted %+v", cf)
		}
	})
}

// FuzzStatsRange: a period is refused or lies within statsMaxDays, from
// before to.
func FuzzStatsRange(f *testing.F) {
	f.Add("from=2026-11-01&to=2026-12-01")
	f.Add("to=2026-02-30")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		from, to, err := statsRange(v, time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC))
		if err != nil {
			return
		}
		if from.After(to) || to.Sub(from) > statsMaxDays*24*time.Hour {
			t.Fatalf("accepted %s .. %s", from, to)
		}
	})
}
