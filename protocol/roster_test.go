package protocol_test

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

var rosterNow = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

// testRoster returns a valid roster of the given agencies (the first is the
// secretariat), with classic keys to keep it small.
func testRoster(t testing.TB, agencies ...string) *protocol.Roster {
	t.Helper()
	r := &protocol.Roster{
		Version:     protocol.RosterVersion,
		Network:     "wacap",
		Serial:      1,
		Kind:        protocol.KindClassic,
		Issued:      protocol.NewTime(rosterNow),
		Expires:     protocol.NewTime(rosterNow.AddDate(1, 0, 0)),
		Secretariat: agencies[0],
	}
	for _, a := range agencies {
		id, err := identity.Generate("wacap", a, "Agency "+a, "SN", protocol.KindClassic, rosterNow.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		r.Members = append(r.Members, protocol.RosterMember{Card: *id.Card, Status: protocol.StatusActive, Since: protocol.NewTime(rosterNow)})
	}
	sort.Slice(r.Members, func(i, j int) bool { return r.Members[i].Card.Agency < r.Members[j].Card.Agency })
	return r
}

func TestRosterRoundTrip(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag", "sn-pj-dakar")
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.ParseRoster(data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := got.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Fatalf("round trip differs:\n%s\n%s", data, again)
	}
	if m := got.Member("sn-pj-dakar"); m == nil || m.Status != protocol.StatusActive {
		t.Fatalf("Member(sn-pj-dakar) = %v", m)
	}
	if got.Member("ne-mj") != nil {
		t.Fatal("Member(ne-mj) found an agency that is not listed")
	}
}

func TestRosterValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *protocol.Roster)
		want   string
	}{
		{"version", func(r *protocol.Roster) { r.Version = 2 }, "roster.v: "},
		{"network", func(r *protocol.Roster) { r.Network = "Bad Net" }, "roster.network: "},
		{"serial", func(r *protocol.Roster) { r.Serial = 0 }, "roster.serial: "},
		{"kind", func(r *protocol.Roster) { r.Kind = "rsa" }, "roster.kind: "},
		{"expires", func(r *protocol.Roster) { r.Expires = r.Issued }, "roster.expires: "},
		{"secretariat id", func(r *protocol.Roster) { r.Secretariat = "" }, "roster.secretariat: "},
		{"secretariat absent", func(r *protocol.Roster) { r.Secretariat = "ne-mj" }, "roster.secretariat: \"ne-mj\" must be an active member"},
		{"secretariat revoked", func(r *protocol.Roster) { r.Members[2].Status = protocol.StatusRevoked }, "roster.secretariat: "},
		{"no members", func(r *protocol.Roster) { r.Members = nil }, "roster.members: "},
		{"card field", func(r *protocol.Roster) { r.Members[1].Card.Country = "XX" }, "roster.members[1].card.country: "},
		{"card network", func(r *protocol.Roster) { r.Members[0].Card.Network = "other" }, "roster.members[0].card.network: "},
		{"card kind", func(r *protocol.Roster) { r.Kind = protocol.KindHybrid }, "roster.members[0].card.age_recipient: kind"},
		{"order", func(r *protocol.Roster) { r.Members[0], r.Members[1] = r.Members[1], r.Members[0] }, "roster.members[1].card.agency: \"gh-ag\" is out of order"},
		{"duplicate", func(r *protocol.Roster) { r.Members[1] = r.Members[0] }, "roster.members[1].card.agency: \"gh-ag\" is listed twice"},
		{"same key", func(r *protocol.Roster) {
			r.Members[1].Card.SigningKey = r.Members[0].Card.SigningKey
		}, "roster.members[1].card.signing_key: same key as member \"gh-ag\""},
		{"status", func(r *protocol.Roster) { r.Members[1].Status = "suspended" }, "roster.members[1].status: "},
		{"since unset", func(r *protocol.Roster) { r.Members[1].Since = protocol.Time{} }, "roster.members[1].since: must be set"},
		{"since late", func(r *protocol.Roster) { r.Members[1].Since = protocol.NewTime(rosterNow.Add(time.Hour)) }, "roster.members[1].since: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRoster(t, "wacap-secretariat", "gh-ag", "sn-pj-dakar") // sorted: gh-ag, sn-pj-dakar, wacap-secretariat
			if err := r.Validate(); err != nil {
				t.Fatalf("valid roster: %v", err)
			}
			tt.change(r)
			err := r.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestParseRosterRejectsNonCanonical(t *testing.T) {
	r := testRoster(t, "wacap-secretariat")
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"space":         append([]byte(" "), data...),
		"trailing":      append(append([]byte{}, data...), '\n'),
		"unknown field": bytes.Replace(data, []byte(`{"v":1,`), []byte(`{"v":1,"extra":1,`), 1),
		"key order":     bytes.Replace(data, []byte(`{"v":1,"network":"wacap"`), []byte(`{"network":"wacap","v":1`), 1),
		"oversized":     bytes.Repeat([]byte(" "), protocol.MaxRosterSize+1),
	} {
		if _, err := protocol.ParseRoster(bad); err == nil {
			t.Errorf("%s: ParseRoster accepted %.80q", name, bad)
		}
	}
}

func TestRosterCheckSuccessor(t *testing.T) {
	prev := testRoster(t, "wacap-secretariat")
	next := *prev
	next.Serial = 2
	if err := next.CheckSuccessor(prev); err != nil {
		t.Fatalf("serial 2 after 1: %v", err)
	}
	if err := next.CheckSuccessor(nil); err != nil {
		t.Fatalf("first roster: %v", err)
	}
	var stale *protocol.StaleRosterError
	if err := prev.CheckSuccessor(&next); !errors.As(err, &stale) || stale.Serial != 1 || stale.Current != 2 {
		t.Fatalf("serial 1 after 2: %v", err)
	}
	if err := prev.CheckSuccessor(prev); !errors.As(err, &stale) {
		t.Fatalf("same serial: %v", err)
	}
	other := testRoster(t, "wacap-secretariat")
	other.Serial = 3
	if err := other.CheckSuccessor(prev); err == nil || !strings.Contains(err.Error(), "secretariat's key") {
		t.Fatalf("new secretariat key: %v", err)
	}
	elsewhere := *prev
	elsewhere.Network, elsewhere.Serial = "eccas", 5
	if err := elsewhere.CheckSuccessor(prev); err == nil {
		t.Fatal("roster of another network accepted")
	}
}

func TestRosterCheckSigner(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag")
	if err := r.CheckSigner(r.Member("wacap-secretariat").Card.KeyID()); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckSigner(r.Member("gh-ag").Card.KeyID()); err == nil {
		t.Fatal("roster signed by a plain member accepted")
	}
}

func FuzzParseRoster(f *testing.F) {
	for _, agencies := range [][]string{{"wacap-secretariat"}, {"gh-ag", "sn-pj-dakar"}} {
		data, err := testRoster(f, agencies...).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := protocol.ParseRoster(data)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatalf("valid roster does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("round trip differs:\n%q\n%q", data, again)
		}
	})
}
