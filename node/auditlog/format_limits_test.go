package auditlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// TestDecodeRecordLimits decodes records at each limit of the format, and
// one step past it.
func TestDecodeRecordLimits(t *testing.T) {
	rec := func(fn func(r *Record)) []byte {
		r := &Record{Seq: 5, Time: time.Unix(1, 0), Type: TypeAccess, Actor: "x"}
		fn(r)
		return r.encode()
	}
	setSize := func(b []byte, n uint64) []byte { binary.BigEndian.PutUint64(b[offPayloadSize:], n); return b }
	setSeq := func(b []byte, n uint64) []byte { binary.BigEndian.PutUint64(b[offSeq:], n); return b }
	cases := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"highest sequence number", setSeq(rec(func(*Record) {}), 1<<62), true},
		{"sequence number past it", setSeq(rec(func(*Record) {}), 1<<62+1), false},
		{"first nanosecond after 1970", rec(func(r *Record) { r.Time = time.Unix(0, 1) }), true},
		{"largest payload", setSize(rec(func(*Record) {}), MaxPayloadSize), true},
		{"payload past it", setSize(rec(func(*Record) {}), MaxPayloadSize+1), false},
		{"longest actor", rec(func(r *Record) { r.Actor = strings.Repeat("é", MaxActorLen/2) + "x" }), true},
		{"actor with a space and a no-break space", rec(func(r *Record) { r.Actor = "awa\u00a0diop sall" }), true},
		{"actor with U+001F", rec(func(r *Record) { r.Actor = "a\u001f" }), false},
		{"actor with DEL", rec(func(r *Record) { r.Actor = "a\u007f" }), false},
		{"actor with U+0080", rec(func(r *Record) { r.Actor = "a\u0080" }), false},
		{"actor with U+009F", rec(func(r *Record) { r.Actor = "a\u009f" }), false},
		{"smallest record", rec(func(r *Record) { r.Actor = "x" })[:fixedLen+3], true},
		{"fixed part and two lengths", append(rec(func(*Record) {})[:fixedLen:fixedLen], 0, 0), false},
	}
	for _, c := range cases {
		r, err := DecodeRecord(c.in)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.ok && !errors.Is(err, ErrEncoding):
			t.Errorf("%s: got %v, want ErrEncoding", c.name, err)
		case c.ok && string(r.Bytes()) != string(c.in):
			t.Errorf("%s: decoded record encodes to other bytes", c.name)
		}
	}
}

// TestDecodeRecordSaysWhy: the shortest possible record is read up to its
// empty actor; anything shorter is refused for its length.
func TestDecodeRecordSaysWhy(t *testing.T) {
	full := (&Record{Seq: 5, Time: time.Unix(1, 0), Type: TypeAccess, Actor: "x"}).encode()
	if _, err := DecodeRecord(append(full[:fixedLen:fixedLen], 0, 0)); err == nil || !strings.Contains(err.Error(), "actor: must not be empty") {
		t.Errorf("a record of %d bytes: %v", fixedLen+2, err)
	}
	if _, err := DecodeRecord(full[:fixedLen+1]); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d bytes, shorter than the %d of the smallest record", fixedLen+1, fixedLen+2)) {
		t.Errorf("a record of %d bytes: %v", fixedLen+1, err)
	}
}

func TestParseType(t *testing.T) {
	for _, ty := range Types() {
		got, err := ParseType(ty.String())
		if err != nil || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty, got, err)
		}
		var u Type
		if err := u.UnmarshalText([]byte(ty.String())); err != nil || u != ty {
			t.Errorf("UnmarshalText(%q) = %v, %v", ty, u, err)
		}
	}
	var u Type
	if _, err := ParseType("rumour"); err == nil {
		t.Error("ParseType accepted an unknown name")
	}
	if err := u.UnmarshalText([]byte("rumour")); err == nil || u != 0 {
		t.Errorf("UnmarshalText of an unknown name: %v, %v", u, err)
	}
}

func TestDecodeRecordMessageIDLength(t *testing.T) {
	b := (&Record{Seq: 5, Time: time.Unix(1, 0), Type: TypeSent, Actor: "x", MessageID: protocol.NewMessageID(time.Unix(1, 0))}).encode()
	b[fixedLen+2] = 37
	if _, err := DecodeRecord(b); err == nil || !strings.Contains(err.Error(), "message id length 37, but 36 bytes remain") {
		t.Errorf("a message id length one too many: %v", err)
	}
	// A version 2 record: the hub's stamp after the message id is not
	// counted among the bytes that remain for it.
	h := (&Record{Seq: 5, Time: time.Unix(1, 0), Type: TypeReceived, Actor: "x", MessageID: protocol.NewMessageID(time.Unix(1, 0)),
		Hub: &HubStamp{Stored: time.Unix(1, 0), Seq: 7}}).encode()
	h[fixedLen+2] = 37
	if _, err := DecodeRecord(h); err == nil || !strings.Contains(err.Error(), "message id length 37, but 36 bytes remain") {
		t.Errorf("a message id length one too many before the hub's stamp: %v", err)
	}
}
