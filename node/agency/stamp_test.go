package agency

import "testing"

// TestStampFits: the hub's stamp fits a publication by the publisher to
// this agency only; a copy of a publication to another agency, or one
// without the hub's id, does not.
func TestStampFits(t *testing.T) {
	for _, tt := range []struct {
		publisher, id string
		fits          bool
	}{
		{"sn-pj-dakar", "sn-pj-dakar/01a24986-d5cd-72b9-bece-198596a84ad3:ml-pj", true},
		{"sn-pj-dakar", "sn-pj-dakar/01a24986-d5cd-72b9-bece-198596a84ad3:gh-ag", false},
		{"sn-pj-dakar", "gh-ag/01a24986-d5cd-72b9-bece-198596a84ad3:ml-pj", false},
		{"sn-pj-dakar", "01a24986-d5cd-72b9-bece-198596a84ad3:ml-pj", false},
		{"sn-pj-dakar", "", false},
		{"sn-pj-dakar", "sn-pj-dakar/x:ml-pj-2", false},
	} {
		if got := stampFits(tt.publisher, tt.id, "ml-pj"); got != tt.fits {
			t.Errorf("stampFits(%q, %q) = %v, want %v", tt.publisher, tt.id, got, tt.fits)
		}
	}
}
