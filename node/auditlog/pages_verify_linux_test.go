package auditlog

import (
	"bytes"
	"context"
	"testing"
)

// TestVerifyReleasesPagesAsItGoes verifies a log of more than
// progressEvery records and looks, from the Progress call that follows
// the first progressEvery records, at how much of the file the process
// keeps mapped resident: Verify releases the pages it read just before
// that call, so almost none, where without the release the megabytes of
// those records would be.
func TestVerifyReleasesPagesAsItGoes(t *testing.T) {
	a := newAgency(t, "wacap", "sn-pj-dakar")
	path := testPath(t)
	l := openLog(t, path, a.options())
	es := make([]Entry, progressEvery+100)
	for i := range es {
		es[i] = Entry{Type: TypeAccess, Actor: "prosecutor awa", Payload: bytes.Repeat([]byte{'a' + byte(i%26)}, 200)}
	}
	if _, err := l.AppendBatch(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	atFirst := -1
	rep, err := r.Verify(context.Background(), VerifyOptions{Card: a.card, Progress: func(done, total int64) {
		if done == progressEvery {
			atFirst = mappedKB(t, path)
		}
	}})
	if err != nil || rep.Records != progressEvery+101 {
		t.Fatalf("verify: %v, %+v", err, rep)
	}
	if atFirst < 0 {
		t.Fatalf("no progress call after %d records", progressEvery)
	}
	t.Logf("after %d records, %d KiB of the file mapped resident", progressEvery, atFirst)
	if atFirst > 256 {
		t.Errorf("after %d records, %d KiB of the file mapped resident: the pages read were not released", progressEvery, atFirst)
	}
}
