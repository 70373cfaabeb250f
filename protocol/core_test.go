package protocol

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestValidateID(t *testing.T) {
	good := []string{"sn-pj-dakar", "wacap", "a", "0", "gljcn-2", strings.Repeat("a", 64)}
	bad := []string{"", "-a", "a-", "SN", "sn.pj", "sn pj", "sn_pj", "a*", "a>", strings.Repeat("a", 65), "é"}
	for _, s := range good {
		if err := ValidateID("agency", s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range bad {
		err := ValidateID("agency", s)
		if err == nil || !strings.Contains(err.Error(), IDRule) {
			t.Errorf("%q: got %v, want the rule", s, err)
		}
	}
}

func TestMessageID(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	a, b := NewMessageID(t0), NewMessageID(t0.Add(time.Millisecond))
	for _, id := range []string{a, b} {
		if err := ValidateMessageID(id); err != nil {
			t.Fatal(err)
		}
	}
	if !(a < b) {
		t.Fatalf("ids do not sort by time: %s %s", a, b)
	}
	if a == NewMessageID(t0) {
		t.Fatal("two ids in the same millisecond are equal")
	}
	for _, s := range []string{"", "0192f5a0-0000-4000-8000-000000000000", "0192F5A0-0000-7000-8000-000000000000", "0192f5a0-0000-7000-c000-000000000000", "0192f5a0000070008000000000000000xxxx"} {
		if ValidateMessageID(s) == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestTime(t *testing.T) {
	tm := NewTime(time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.FixedZone("WAT", 3600)))
	b, err := json.Marshal(tm)
	if err != nil || string(b) != `"2026-11-26T09:00:00.123Z"` {
		t.Fatalf("got %s %v", b, err)
	}
	// Bytes of the right length that are not a quoted string (a number, or
	// unquoted at one end or the other, as a caller other than
	// encoding/json may pass) are refused; the quoted form is taken.
	for _, s := range []string{`x2026-11-26T09:00:00.123Z"`, `"2026-11-26T09:00:00.123Zx`, `x2026-11-26T09:00:00.123Zx`, `12345678901234567890123456`} {
		var x Time
		if err := x.UnmarshalJSON([]byte(s)); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
	var back Time
	if err := back.UnmarshalJSON([]byte(`"2026-11-26T09:00:00.123Z"`)); err != nil || !back.Time.Equal(tm.Time) {
		t.Errorf("the quoted form: %v %v", back, err)
	}
	for _, s := range []string{`"2026-11-26T09:00:00Z"`, `"2026-11-26T09:00:00.123+01:00"`, `"2026-11-26 09:00:00.123Z"`, `1`, `"2026-11-26T09:00:00.1234Z"`} {
		var x Time
		if err := json.Unmarshal([]byte(s), &x); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
	if _, err := json.Marshal(Time{}); err == nil {
		t.Error("zero time marshalled")
	}
}

func testCard(t testing.TB) *MemberCard {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &MemberCard{
		Version: 1, Network: "wacap", Agency: "sn-pj-dakar", Name: "Parquet de Dakar", Country: "SN",
		SigningKey: PublicJWK(pub), AgeRecipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
		Created: NewTime(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)),
	}
}

func TestMemberCardValidate(t *testing.T) {
	cases := []struct {
		mod  func(c *MemberCard)
		want string
	}{
		{func(c *MemberCard) { c.Version = 2 }, "member card v: unsupported version 2"},
		{func(c *MemberCard) { c.Network = "W" }, "member card network"},
		{func(c *MemberCard) { c.Agency = "" }, "member card agency"},
		{func(c *MemberCard) { c.Name = "" }, "member card name: must not be empty"},
		{func(c *MemberCard) { c.Country = "sn" }, "member card country"},
		{func(c *MemberCard) { c.SigningKey.KeyID = "other" }, "member card signing_key.kid: \"other\" is not the key's RFC 7638 thumbprint"},
		{func(c *MemberCard) { c.SigningKey.Algorithm = "ES256" }, "member card signing_key.alg: must be EdDSA"},
		{func(c *MemberCard) { c.AgeRecipient = "age1nope" }, "member card age_recipient"},
		{func(c *MemberCard) { c.Created = Time{} }, "member card created: must be set"},
	}
	for _, c := range cases {
		card := testCard(t)
		c.mod(card)
		if err := card.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	card := testCard(t)
	b, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseMemberCard(b); err != nil {
		t.Fatal(err)
	}
	extra := strings.Replace(string(b), `"v": 1,`, `"v": 1, "role": "x",`, 1)
	if _, err := ParseMemberCard([]byte(extra)); err == nil || !strings.Contains(err.Error(), `unknown field "role"`) {
		t.Fatalf("unknown field: got %v", err)
	}
	if _, err := ParseMemberCard(make([]byte, MaxCardSize+1)); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("oversized: got %v", err)
	}
}

func testHeader() *Header {
	t0 := NewTime(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	return &Header{Alg: "EdDSA", Case: "sn-2026-0142", Created: t0, From: "sn-pj-dakar", ID: NewMessageID(t0.Time),
		Kid: "kid", MsgType: TypeLead, Net: "wacap", To: []string{"gh-ag-accra", "ng-ag-abuja"}, Typ: MessageJWSType, V: 1}
}

func TestHeader(t *testing.T) {
	h := testHeader()
	b, err := Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Marshal(got)
	if string(again) != string(b) {
		t.Fatal("round trip differs")
	}
	// The map the signer gets marshals to the same bytes as the struct.
	m := h.Fields()
	m["alg"], m["kid"], m["typ"] = h.Alg, h.Kid, h.Typ
	viaMap, _ := json.Marshal(m)
	if string(viaMap) != string(b) {
		t.Fatalf("field order is not the sorted order:\n%s\n%s", viaMap, b)
	}
	bad := map[string]func(h *Header){
		"header to: must be sorted and unique":        func(h *Header) { h.To = []string{"ng-ag-abuja", "gh-ag-accra"} },
		"header to: names the sender":                 func(h *Header) { h.To = []string{"sn-pj-dakar"} },
		"header to: must name at least one recipient": func(h *Header) { h.To = nil },
		"header msgtype: unknown message type":        func(h *Header) { h.MsgType = "case.rumour" },
		"header expires: must be after created":       func(h *Header) { e := h.Created; h.Expires = &e },
		"header case: invalid case id":                func(h *Header) { h.Case = "Case 1" },
		"header id: invalid message id":               func(h *Header) { h.ID = "1" },
		"message format version 3 is not supported":   func(h *Header) { h.V = 3 },
	}
	for want, mod := range bad {
		h := testHeader()
		mod(h)
		b, _ := Marshal(h)
		if _, err := ParseHeader(b); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if _, err := ParseHeader([]byte(strings.Replace(string(b), `"alg":"EdDSA",`, `"alg":"EdDSA","x":1,`, 1))); err == nil {
		t.Error("unknown header field accepted")
	}
}

func FuzzParseHeader(f *testing.F) {
	b, _ := Marshal(testHeader())
	f.Add(b)
	f.Add([]byte(`{"v":2}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHeader(data)
		if err != nil {
			return
		}
		again, err := Marshal(h)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%s\n%s", data, again)
		}
	})
}

func FuzzParseMemberCard(f *testing.F) {
	b, _ := json.Marshal(testCard(f))
	f.Add(b)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseMemberCard(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed an invalid card: %v", err)
		}
		again, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseMemberCard(again); err != nil {
			t.Fatalf("re-encoded card does not parse: %v", err)
		}
	})
}

// TestKnownVersion: the sealed formats this package reads are 1 and 2, and
// no other.
func TestKnownVersion(t *testing.T) {
	for v, want := range map[int]bool{0: false, FormatVersion1: true, FormatVersion2: true, 3: false, -1: false, 255: false} {
		if got := KnownVersion(v); got != want {
			t.Errorf("KnownVersion(%d) = %v, want %v", v, got, want)
		}
	}
}

// TestMessageIDAfter: ids taken each from the one before sort in taking
// order, within one millisecond, across milliseconds and when the clock
// steps back by up to MaxIDStepBack; their time is the one the id
// carries, never before the previous one's.
func TestMessageIDAfter(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 500_000, time.UTC)
	clock := []time.Time{t0, t0, t0, t0.Add(3 * time.Millisecond), t0, t0.Add(-time.Second), t0.Add(4 * time.Millisecond)}
	prev, prevAt := "", time.Time{}
	for i, now := range clock {
		at, id := MessageIDAfter(prev, now)
		if err := ValidateMessageID(id); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if idAt, _ := MessageIDTime(id); !idAt.Equal(at) || !at.Equal(at.Truncate(time.Millisecond)) {
			t.Fatalf("%d: id %s carries %s, time %s", i, id, idAt, at)
		}
		if prev != "" && (id <= prev || at.Before(prevAt)) {
			t.Fatalf("%d: %s at %s does not sort after %s at %s", i, id, at, prev, prevAt)
		}
		prev, prevAt = id, at
	}
	if at, _ := MessageIDAfter(prev, t0.Add(4*time.Millisecond)); !at.Equal(t0.Add(4 * time.Millisecond).Truncate(time.Millisecond)) {
		t.Errorf("same millisecond: time %s", at)
	}
	// Beyond MaxIDStepBack the clock wins.
	if at, _ := MessageIDAfter(prev, t0.Add(-MaxIDStepBack-time.Second)); !at.Equal(t0.Add(-MaxIDStepBack - time.Second).Truncate(time.Millisecond)) {
		t.Errorf("clock stepped back far: time %s", at)
	}
	// Random bits all ones: the next millisecond.
	full := "0192f5a0-0000-7fff-bfff-ffffffffffff"
	fullAt, _ := MessageIDTime(full)
	at, id := MessageIDAfter(full, fullAt)
	if !at.Equal(fullAt.Add(time.Millisecond)) || id <= full || ValidateMessageID(id) != nil {
		t.Errorf("after %s: %s at %s", full, id, at)
	}
	// The carry from rand_b into rand_a.
	if _, id := MessageIDAfter("0192f5a0-0000-7000-bfff-ffffffffffff", fullAt); id != "0192f5a0-0000-7001-8000-000000000000" {
		t.Errorf("carry: %s", id)
	}
}
