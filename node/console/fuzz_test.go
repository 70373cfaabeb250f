package console

import (
	"net/url"
	"strings"
	"testing"

	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/protocol"
)

// FuzzComposeBody feeds arbitrary form values to the minimal compose: the
// body it builds either passes the protocol's validation or the error
// names a field, and nothing panics.
func FuzzComposeBody(f *testing.F) {
	f.Add("expedited-preservation", "Budapest Convention", "art. 29", "facts", "one\ntwo", "fr, en", "2026-12-31", "urgent", "")
	f.Add("reply", "", "", "", "", "", "", "", "0196ed27-54e0-7a3c-8f2d-41b6e07c9e25")
	f.Add("extradition", "\x00", "", "", "", ",,,", "31/12/2026", "now", "")
	f.Fuzz(func(t *testing.T, kind, instrument, article, facts, measures, languages, deadline, urgency, ref string) {
		v := url.Values{"instrument": {instrument}, "article": {article}, "facts": {facts}, "measures": {measures},
			"languages": {languages}, "deadline": {deadline}, "urgency": {urgency}, "reference": {ref}, "text": {facts}}
		d := &composeData{Kind: kind, Values: v, Errors: map[string]string{}}
		var s Server
		typ, body := s.composeBody(d)
		if err := protocol.ValidateBody(typ, body); err != nil {
			if f := fieldOf(err.Error()); f == "" || strings.ContainsAny(f, ".[]: ") {
				t.Fatalf("error %q names field %q", err, f)
			}
		}
	})
}

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
