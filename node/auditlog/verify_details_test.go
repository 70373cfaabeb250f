package auditlog

import (
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestVerifyFailureDetails: a checkpoint stored under size 0, a stored tree
// hash of the wrong length, another agency's card and a card whose key the
// log never had are each reported for what they are.
func TestVerifyFailureDetails(t *testing.T) {
	f := newFixture(t)
	tamper(t, f.path, func(b *buckets) error { return b.checkpoints.Put(itob(0), f.latest.Note) })
	ve := wantFailure(t, f.verify(t, VerifyOptions{}), KindIntegrity, 0, true)
	wantWhat(t, ve, "checkpoint key")

	g := newFixture(t)
	const x = 11
	tamper(t, g.path, func(b *buckets) error {
		k := itob(tlog.StoredHashIndex(0, x))
		return b.hashes.Put(k, b.hashes.Get(k)[:31])
	})
	ve = wantFailure(t, g.verify(t, VerifyOptions{}), KindIntegrity, x, false)
	if ve.Found != "31 bytes" {
		t.Errorf("a stored hash of 31 bytes shown as %q", ve.Found)
	}

	h := newFixture(t)
	other := newAgency(t, "wacap", "ne-mj-niamey")
	_, err := verify(t, h.path, VerifyOptions{Card: other.card})
	wantWhat(t, wantFailure(t, err, KindTrust, 0, false), "another agency's log")

	impostor := newAgency(t, "wacap", "sn-pj-dakar")
	_, err = verify(t, h.path, VerifyOptions{Card: impostor.card})
	ve = wantFailure(t, err, KindTrust, 0, false)
	if want := "kids " + h.a.card.KeyID(); ve.Found != want {
		t.Errorf("found %q, want %q", ve.Found, want)
	}
	rotated := newAgency(t, "wacap", "sn-pj-dakar")
	l := openLog(t, h.path, rotated.rotatedFrom(h.a))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = verify(t, h.path, VerifyOptions{Card: impostor.card})
	ve = wantFailure(t, err, KindTrust, 0, false)
	if want := "kids " + h.a.card.KeyID() + ", " + rotated.card.KeyID(); ve.Found != want {
		t.Errorf("found %q, want %q", ve.Found, want)
	}
}

// TestVerifyReportsTheFirstFailingMessage: of two stored messages that
// fail their check, the verification reports the first, also when the
// second fails first.
func TestVerifyReportsTheFirstFailingMessage(t *testing.T) {
	f := newFixture(t)
	secondFailed := make(chan struct{})
	_, err := verify(t, f.path, VerifyOptions{Card: f.a.card, Workers: 2, CheckMessage: func(rec *Record, _ []byte, _ *Trust) error {
		switch rec.Seq {
		case 22:
			<-secondFailed
			return errors.New("forged")
		case 42:
			close(secondFailed)
			return errors.New("forged too")
		}
		return nil
	}})
	ve := wantFailure(t, err, KindTrust, 22, false)
	wantWhat(t, ve, "sent record of message ")
	wantWhat(t, ve, ": forged")
}

func TestVerifyErrorText(t *testing.T) {
	last := &Checkpoint{Size: 2}
	for _, c := range []struct {
		e    *VerifyError
		want string
	}{
		{&VerifyError{Kind: KindIntegrity, Index: 3, What: "w"}, "integrity failure at record 3: w; no good checkpoint before it"},
		{&VerifyError{Kind: KindTrust, Index: 5, AtCheckpoint: true, What: "w", Expected: "a", Found: "b", LastGood: last}, "trust failure at checkpoint of size 5: w: expected a, found b; last good checkpoint: " + last.String()},
		{&VerifyError{Kind: KindFork, Index: 1, What: "w", Expected: "a"}, "fork failure at record 1: w: expected a, found ; no good checkpoint before it"},
		{&VerifyError{Kind: KindTruncation, Index: 1, What: "w", Found: "b"}, "truncation failure at record 1: w: expected , found b; no good checkpoint before it"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
