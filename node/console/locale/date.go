package locale

import (
	"fmt"
	"time"
)

// months returns the abbreviated month names of lang, January first.
func months(lang string) [12]string {
	switch lang {
	case "fr":
		return [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	case "pt":
		return [12]string{"jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."}
	}
	return [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
}

// Date writes the calendar date of t in UTC the way the language does:
// 6 Dec 2026 · 6 déc. 2026 · 6 dez. 2026 (day first, as in West and
// Central Africa for all three).
func (p *Printer) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return fmt.Sprintf("%d %s %d", t.Day(), months(p.lang)[t.Month()-1], t.Year())
}

// DateTime writes t in UTC with the time of day, 24-hour clock: 6 Dec
// 2026, 14:05 UTC · 6 déc. 2026 à 14:05 UTC · 6 dez. 2026 às 14:05 UTC.
func (p *Printer) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	sep := ", "
	switch p.lang {
	case "fr":
		sep = " à "
	case "pt":
		sep = " às "
	}
	return p.Date(t) + sep + t.UTC().Format("15:04") + " UTC"
}

// Duration writes how long d is, roughly, in the largest whole unit:
// minutes, hours or days (plural forms from the messages).
func (p *Printer) Duration(d time.Duration) string {
	switch {
	case d < time.Hour:
		return p.TN("duration.minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return p.TN("duration.hours", int(d/time.Hour))
	}
	return p.TN("duration.days", int(d/(24*time.Hour)))
}
