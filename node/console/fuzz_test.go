package console

import (
	"strings"
	"testing"

	"github.com/casenode/casenode/node/console/locale"
)

// FuzzMatch: any Accept-Language header gives one of the console's
// languages.
func FuzzMatch(f *testing.F) {
	c, err := locale.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"fr-SN,fr;q=0.9", "", "*", "pt-BR;q=x", strings.Repeat("en-", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		if l := c.Match(accept); !locale.Supported(l) {
			t.Fatalf("Match(%q) = %q", accept, l)
		}
	})
}
