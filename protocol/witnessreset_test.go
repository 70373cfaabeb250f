package protocol_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

func testReset() *protocol.WitnessReset {
	return &protocol.WitnessReset{Network: "wacap", Agency: "gh-ag", Reason: "disk lost; the agency restarted its log",
		Actor: "cli:fatou", Issued: protocol.NewTime(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))}
}

func TestWitnessResetIsStrict(t *testing.T) {
	data, err := testReset().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r, err := protocol.ParseWitnessReset(data)
	if err != nil || *r != *testReset() {
		t.Fatalf("round trip: %+v %v", r, err)
	}
	for name, edit := range map[string]func(*protocol.WitnessReset){
		"no agency":         func(r *protocol.WitnessReset) { r.Agency = "" },
		"agency with a dot": func(r *protocol.WitnessReset) { r.Agency = "gh.ag" },
		"no reason":         func(r *protocol.WitnessReset) { r.Reason = " " },
		"long reason":       func(r *protocol.WitnessReset) { r.Reason = strings.Repeat("x", protocol.MaxResetReasonLen+1) },
		"control character": func(r *protocol.WitnessReset) { r.Reason = "a\nb" },
		"no actor":          func(r *protocol.WitnessReset) { r.Actor = "" },
		"no time":           func(r *protocol.WitnessReset) { r.Issued = protocol.Time{} },
	} {
		r := testReset()
		edit(r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
	if _, err := protocol.ParseWitnessReset(bytes.Replace(data, []byte(`{"network"`), []byte(`{ "network"`), 1)); err == nil {
		t.Error("a non-canonical order was accepted")
	}
}

// FuzzParseWitnessReset: the decoder never panics, and what it accepts
// encodes back to the same bytes.
func FuzzParseWitnessReset(f *testing.F) {
	data, err := testReset().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"network":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := protocol.ParseWitnessReset(data)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("round trip: %q → %q (%v)", data, again, err)
		}
	})
}
