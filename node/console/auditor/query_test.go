package auditor

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/auditlog"
)

// TestParseQuery: what each parameter reads as, and Encode reads back.
func TestParseQuery(t *testing.T) {
	q, err := parseQuery("case=SN%2F2026%2F0142&agency=gh-ag-accra&type=received&type=sent&type=sent&since=2026-12-01&until=2026-12-06&start=40")
	if err != nil {
		t.Fatal(err)
	}
	want := &query{Case: "SN/2026/0142", Agency: "gh-ag-accra", Types: []auditlog.Type{auditlog.TypeSent, auditlog.TypeReceived},
		Since: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), Start: 40}
	if !reflect.DeepEqual(q, want) {
		t.Errorf("parsed %+v, want %+v", q, want)
	}
	back, err := parseQuery(q.Encode())
	if err != nil || !reflect.DeepEqual(back, q) {
		t.Errorf("Encode %q reads back as %+v, %v", q.Encode(), back, err)
	}
	if q, err := parseQuery("since=2026-12-06T14:05&until=2026-12-06T14:05:30"); err != nil || !q.Until.Equal(time.Date(2026, 12, 6, 14, 5, 30, 0, time.UTC)) {
		t.Errorf("times: %+v %v", q, err)
	}
	if q, err := parseQuery(""); err != nil || !reflect.DeepEqual(q, &query{}) {
		t.Errorf("the empty query: %+v %v", q, err)
	}
}

// FuzzParseQuery: any query string is refused or read within the limits,
// and a query read gives back the same query through Encode.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "case=SN%2F2026%2F0142&type=sent&type=received", "since=2026-12-06&until=2026-12-07T08:00", "start=123&agency=gh-ag-accra",
		"type=" + strings.Repeat("sent&type=", 20), "%zz", "since=9999-12-31", "until=1969-12-31", "start=4611686018427387904", "case=&agency=&since=&until=&start="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQuery(raw)
		if err != nil {
			if q != nil {
				t.Fatalf("an error and a query: %v", err)
			}
			return
		}
		if len(raw) > maxQuery || len(q.Types) > len(auditlog.Types()) || q.Start < 0 || q.Start > maxIndex {
			t.Fatalf("%q read past the limits: %+v", raw, q)
		}
		back, err := parseQuery(q.Encode())
		if err != nil {
			t.Fatalf("%q: Encode %q does not read back: %v", raw, q.Encode(), err)
		}
		if !reflect.DeepEqual(back, q) {
			t.Fatalf("%q: Encode %q reads back as %+v, not %+v", raw, q.Encode(), back, q)
		}
	})
}
