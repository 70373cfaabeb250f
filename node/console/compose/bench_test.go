package compose

import (
	"net/url"
	"strconv"
	"testing"
)

// BenchmarkLargeForm parses and renders a lead with as many rows as a
// submitted form may carry: the work must stay linear in the rows (it was
// quadratic once, and the fuzzer stalled on it).
func BenchmarkLargeForm(b *testing.B) {
	v := url.Values{}
	for i := range maxRowIndex - 1 {
		n := strconv.Itoa(i)
		v.Set("persons."+n+".name", "x")
		v.Set("identifiers."+n+".owner", "p"+strconv.Itoa(i+1))
		v.Set("identifiers."+n+".value", "x")
		v.Set("identifiers."+n+".kind", "phone")
		v.Set("organisations."+n+".name", "x")
	}
	f, _ := Lookup("lead")
	for b.Loop() {
		_, _, _ = f.Parse(v)
		(&View{Form: f, Values: v}).Sections()
	}
}
