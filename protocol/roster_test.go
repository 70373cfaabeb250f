package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
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

// previousKey returns a fresh previous key valid until until.
func previousKey(t testing.TB, until time.Time, revoked bool) protocol.PreviousKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := protocol.PreviousKey{SigningKey: protocol.PublicJWK(pub), Revoked: revoked}
	if !until.IsZero() {
		p.ValidUntil = protocol.NewTime(until)
	}
	return p
}

func TestRosterRoundTrip(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag", "sn-pj-dakar")
	r.Members[0].Previous = []protocol.PreviousKey{previousKey(t, rosterNow.Add(72*time.Hour), false), previousKey(t, rosterNow, true)}
	r.Members[1].Status = protocol.StatusSuspended
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
	if m := got.Member("sn-pj-dakar"); m == nil || m.Status != protocol.StatusSuspended {
		t.Fatalf("Member(sn-pj-dakar) = %v", m)
	}
	if got.Member("ne-mj") != nil {
		t.Fatal("Member(ne-mj) found an agency that is not listed")
	}
	if !bytes.Contains(data, []byte(`"status":"active","since":"2025-03-01T10:00:00.000Z","previous":[{"signing_key":{"use":"sig","kty":"OKP","kid":"`)) ||
		!bytes.Contains(data, []byte(`"valid_until":"2025-03-01T10:00:00.000Z","revoked":true}]}`)) {
		t.Fatalf("previous keys are not encoded as documented:\n%s", data)
	}
	// A member without previous keys encodes exactly as before they existed.
	if bytes.Contains(data, []byte(`"previous":null`)) || bytes.Count(data, []byte(`"previous"`)) != 1 {
		t.Fatalf("empty previous keys are not omitted:\n%s", data)
	}
	if len(got.Active()) != 2 || got.ActiveCount() != 2 {
		t.Fatalf("Active() = %d members, ActiveCount() = %d, want the 2 not suspended", len(got.Active()), got.ActiveCount())
	}
}

func TestRosterSigningKeyAt(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag", "ml-mj", "sn-pj-dakar")
	overlapEnd := rosterNow.Add(72 * time.Hour)
	retired := previousKey(t, overlapEnd, false)
	stolen := previousKey(t, rosterNow, true)
	gh := r.Member("gh-ag")
	gh.Previous = []protocol.PreviousKey{retired, stolen}
	ml := r.Member("ml-mj")
	ml.Status, ml.Since = protocol.StatusSuspended, protocol.NewTime(rosterNow)
	sn := r.Member("sn-pj-dakar")
	sn.Status, sn.Since = protocol.StatusRevoked, protocol.NewTime(rosterNow)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	before, after := rosterNow.Add(-time.Second), rosterNow.Add(time.Second)
	tests := []struct {
		name        string
		agency, kid string
		at          time.Time
		want        ed25519.PublicKey
		reason      protocol.Reason
		detail      string
	}{
		{"current key", "gh-ag", gh.Card.KeyID(), after, gh.Card.PublicKey(), "", ""},
		{"current key, long after", "gh-ag", gh.Card.KeyID(), rosterNow.AddDate(5, 0, 0), gh.Card.PublicKey(), "", ""},
		{"retired key in the overlap", "gh-ag", retired.KeyID(), overlapEnd.Add(-time.Millisecond), retired.PublicKey(), "", ""},
		{"retired key after the overlap", "gh-ag", retired.KeyID(), overlapEnd, nil, protocol.ReasonUnknownKey, "was replaced and trusted until 2025-03-04T10:00:00.000Z only"},
		{"revoked key before its revocation", "gh-ag", stolen.KeyID(), before, stolen.PublicKey(), "", ""},
		{"revoked key after its revocation", "gh-ag", stolen.KeyID(), after, nil, protocol.ReasonRevoked, "is revoked since 2025-03-01T10:00:00.000Z"},
		{"unknown key", "gh-ag", "nope", after, nil, protocol.ReasonUnknownKey, "signed with key nope"},
		{"another member's key", "gh-ag", r.Member("wacap-secretariat").Card.KeyID(), after, nil, protocol.ReasonUnknownKey, ""},
		{"unknown agency", "ne-mj", gh.Card.KeyID(), after, nil, protocol.ReasonUnknownSender, `agency "ne-mj" is not in roster serial 1`},
		{"suspended member before", "ml-mj", ml.Card.KeyID(), before, ml.Card.PublicKey(), "", ""},
		{"suspended member after", "ml-mj", ml.Card.KeyID(), rosterNow, nil, protocol.ReasonRevoked, `agency "ml-mj" is suspended since`},
		{"revoked member before", "sn-pj-dakar", sn.Card.KeyID(), before, sn.Card.PublicKey(), "", ""},
		{"revoked member after", "sn-pj-dakar", sn.Card.KeyID(), after, nil, protocol.ReasonRevoked, `agency "sn-pj-dakar" is revoked since`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.SigningKeyAt(tt.agency, tt.kid, tt.at)
			if tt.reason == "" {
				if err != nil || !got.Equal(tt.want) {
					t.Fatalf("SigningKeyAt = %x, %v; want %x", got, err, tt.want)
				}
				return
			}
			var ke *protocol.KeyError
			if !errors.As(err, &ke) || ke.Reason != tt.reason || !strings.Contains(err.Error(), tt.detail) || got != nil {
				t.Fatalf("SigningKeyAt = %x, %v; want reason %s with %q", got, err, tt.reason, tt.detail)
			}
		})
	}
	if _, err := r.InGoodStanding("ml-mj", after); err == nil {
		t.Fatal("a suspended member is in good standing")
	}
	if m, err := r.InGoodStanding("gh-ag", after); err != nil || m != gh {
		t.Fatalf("InGoodStanding(gh-ag) = %v, %v", m, err)
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
		{"status", func(r *protocol.Roster) { r.Members[1].Status = "paused" }, "roster.members[1].status: "},
		{"since unset", func(r *protocol.Roster) { r.Members[1].Since = protocol.Time{} }, "roster.members[1].since: must be set"},
		{"since late", func(r *protocol.Roster) { r.Members[1].Since = protocol.NewTime(rosterNow.Add(time.Hour)) }, "roster.members[1].since: "},
		{"previous same as own card", func(r *protocol.Roster) {
			r.Members[1].Previous = []protocol.PreviousKey{{SigningKey: r.Members[1].Card.SigningKey, ValidUntil: protocol.NewTime(rosterNow)}}
		}, "roster.members[1].previous[0].signing_key: same key as member \"sn-pj-dakar\""},
		{"previous same as another card", func(r *protocol.Roster) {
			r.Members[1].Previous = []protocol.PreviousKey{{SigningKey: r.Members[2].Card.SigningKey, ValidUntil: protocol.NewTime(rosterNow)}}
		}, "roster.members[2].card.signing_key: same key as member \"sn-pj-dakar\""},
		{"previous listed twice", func(r *protocol.Roster) {
			p := previousKey(t, rosterNow, false)
			r.Members[0].Previous = []protocol.PreviousKey{p}
			r.Members[1].Previous = []protocol.PreviousKey{p}
		}, "roster.members[1].previous[0].signing_key: same key as member \"gh-ag\""},
		{"previous kid", func(r *protocol.Roster) {
			p := previousKey(t, rosterNow, false)
			p.SigningKey.KeyID = "wrong"
			r.Members[1].Previous = []protocol.PreviousKey{p}
		}, "roster.members[1].previous[0].signing_key.kid: \"wrong\" is not the key's RFC 7638 thumbprint"},
		{"previous private", func(r *protocol.Roster) {
			_, priv, _ := ed25519.GenerateKey(nil)
			p := previousKey(t, rosterNow, false)
			p.SigningKey.Key = priv
			r.Members[1].Previous = []protocol.PreviousKey{p}
		}, "roster.members[1].previous[0].signing_key: must be a public Ed25519 JWK"},
		{"previous alg", func(r *protocol.Roster) {
			p := previousKey(t, rosterNow, false)
			p.SigningKey.Algorithm = "ES256"
			r.Members[1].Previous = []protocol.PreviousKey{p}
		}, "roster.members[1].previous[0].signing_key.alg: must be EdDSA"},
		{"previous use", func(r *protocol.Roster) {
			p := previousKey(t, rosterNow, false)
			p.SigningKey.Use = "enc"
			r.Members[1].Previous = []protocol.PreviousKey{p}
		}, "roster.members[1].previous[0].signing_key.use: must be sig"},
		{"previous valid_until", func(r *protocol.Roster) {
			r.Members[1].Previous = []protocol.PreviousKey{previousKey(t, time.Time{}, false)}
		}, "roster.members[1].previous[0].valid_until: must be set"},
		{"too many previous", func(r *protocol.Roster) {
			for range protocol.MaxPreviousKeys + 1 {
				r.Members[1].Previous = append(r.Members[1].Previous, previousKey(t, rosterNow, false))
			}
		}, "roster.members[1].previous: 17 keys, over the limit of 16"},
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
	rotated := testRoster(f, "gh-ag", "ml-mj")
	rotated.Members[0].Previous = []protocol.PreviousKey{previousKey(f, rosterNow, true), previousKey(f, rosterNow.Add(time.Hour), false)}
	rotated.Members[1].Status = protocol.StatusSuspended
	data, err := rotated.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
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

// TestParseRosterRecipients: the roster's parse returns every member's
// age recipient, parsed, under its string in the card — suspended members
// too — and refuses what ParseRoster refuses.
func TestParseRosterRecipients(t *testing.T) {
	r := testRoster(t, "wacap-secretariat", "gh-ag", "sn-pj-dakar")
	r.Members[1].Status = protocol.StatusSuspended
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, parsed, err := protocol.ParseRosterRecipients(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed) != 3 || got.Serial != 1 {
		t.Fatalf("%d recipients for roster serial %d, want 3", len(parsed), got.Serial)
	}
	for _, m := range got.Members {
		rcpt, ok := parsed[m.Card.AgeRecipient]
		x, isX := rcpt.(*age.X25519Recipient)
		if !ok || !isX || x.String() != m.Card.AgeRecipient {
			t.Errorf("recipient of %s: %v", m.Card.Agency, rcpt)
		}
	}
	r.Members[2].Card.AgeRecipient = "age1notarecipient"
	bad, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := protocol.ParseRosterRecipients(bad); err == nil || !strings.Contains(err.Error(), "roster.members[2].card.age_recipient") {
		t.Fatalf("a bad recipient: %v", err)
	}
}
