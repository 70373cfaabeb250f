package protocol

import "testing"

func TestSizedLead(t *testing.T) {
	for _, n := range []int{100, 1024, 64 << 10, 1 << 20} {
		b := SizedLead(n)
		if err := ValidateBody(TypeLead, b); err != nil {
			t.Fatalf("SizedLead(%d): %v", n, err)
		}
		if got := len(b); n >= 1024 && (got < n*9/10 || got > n*11/10) {
			t.Fatalf("SizedLead(%d) is %d bytes", n, got)
		}
	}
}
