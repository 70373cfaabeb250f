package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

func kinds() []protocol.RecipientKind {
	return []protocol.RecipientKind{protocol.KindHybrid, protocol.KindClassic}
}

func TestRoundTrip(t *testing.T) {
	for _, kind := range kinds() {
		for _, n := range []int{1, 3, 20} {
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				net := testNetwork(t, kind)
				to := make([]int, n)
				for i := range to {
					to[i] = i + 1
				}
				s := net.sealTo(t, 0, to...)
				if got := len(s.Header.To); got != n {
					t.Fatalf("header names %d recipients, want %d", got, n)
				}
				want := compactJSON(t, leadBody())
				// Every recipient and the sender itself can open it.
				for _, i := range append([]int{0}, to...) {
					o, err := Open(s.Raw, net.ids[i], net.keys(), VerifyOptions{Now: now})
					if err != nil {
						t.Fatalf("agency %s: %v", net.ids[i].Agency(), err)
					}
					if !bytes.Equal(o.Body, want) {
						t.Fatalf("agency %s: body differs", net.ids[i].Agency())
					}
					if o.Header.From != "a00" || o.Header.Case != "case-2026-001" {
						t.Fatalf("header %+v", o.Header)
					}
				}
				// An agency outside the recipients cannot.
				if n < 20 {
					_, err := Open(s.Raw, net.ids[20], net.keys(), VerifyOptions{Now: now})
					wantReason(t, err, protocol.ReasonNotAddressed)
				}
			})
		}
	}
}

func TestCiphertextIsStandardAge(t *testing.T) {
	for _, kind := range kinds() {
		net := testNetwork(t, kind).withVersion(1)
		s := net.sealTo(t, 0, 1)
		env, _, err := Parse(s.Raw)
		if err != nil {
			t.Fatal(err)
		}
		r, err := age.Decrypt(bytes.NewReader(env.Ciphertext), net.ids[1].Age)
		if err != nil {
			t.Fatalf("age cannot decrypt the ciphertext: %v", err)
		}
		var inner bytes.Buffer
		inner.ReadFrom(r)
		if parts := strings.Split(inner.String(), "."); len(parts) != 3 {
			t.Fatalf("ciphertext does not hold a compact JWS: %q", inner.String())
		}
	}
}

func TestMixedKindsRefused(t *testing.T) {
	pq, classic := testNetwork(t, protocol.KindHybrid), testNetwork(t, protocol.KindClassic)
	_, err := Seal(pq.ids[0], []*protocol.MemberCard{pq.cards[1], classic.cards[2], classic.cards[3]}, protocol.TypeLead, leadBody(), Options{Now: now})
	var mixed *MixedKindsError
	if !errors.As(err, &mixed) {
		t.Fatalf("got %v, want MixedKindsError", err)
	}
	if got := strings.Join(mixed.Odd, ","); got != "a02 (x25519),a03 (x25519)" {
		t.Fatalf("odd recipients %q", got)
	}
	if !strings.Contains(err.Error(), "a02") || !strings.Contains(err.Error(), "a03") || strings.Contains(err.Error(), "a01") {
		t.Fatalf("error does not name exactly the odd recipients: %v", err)
	}
}

func TestSealRefuses(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	badKey, badName := *net.cards[1], *net.cards[1]
	badKey.AgeRecipient = "age1nope"
	badName.Name = ""
	cases := []struct {
		name string
		to   []*protocol.MemberCard
		body []byte
		want string
	}{
		{"no recipients", nil, leadBody(), "no recipients"},
		{"recipient card with a bad age key", []*protocol.MemberCard{&badKey}, leadBody(), "recipient " + badKey.Agency + ": member card age_recipient"},
		{"recipient card with a bad field", []*protocol.MemberCard{&badName}, leadBody(), "recipient " + badName.Agency + ": member card name"},
		{"sender as recipient", []*protocol.MemberCard{net.cards[0]}, leadBody(), "cannot be a recipient"},
		{"duplicate", []*protocol.MemberCard{net.cards[1], net.cards[1]}, leadBody(), "named twice"},
		{"invalid body", []*protocol.MemberCard{net.cards[1]}, []byte(`{"v":1}`), "lead."},
		{"oversized body", []*protocol.MemberCard{net.cards[1]}, make([]byte, protocol.MaxBodySize+1), "over the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Seal(net.ids[0], c.to, protocol.TypeLead, c.body, Options{Now: now})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

// rejection is a bad message, the keys to open it with as net.ids[1], and
// the reason it must be rejected for.
type rejection struct {
	name string
	raw  []byte
	keys Keys
	want protocol.Reason
}

// rejections builds each kind of bad message to net.ids[1].
func rejections(t *testing.T, net *network) []rejection {
	t.Helper()
	me := net.ids[1]
	good := net.sealTo(t, 0, 1).Raw
	other, err := identityLike(net.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	later := protocol.NewTime(now.Add(time.Hour))
	past := protocol.NewTime(now.Add(-time.Hour))
	expiredHeader := net.header(0, 1)
	expiredHeader.Created = protocol.NewTime(now.Add(-2 * time.Hour))
	expiredHeader.Expires = &past
	expiredHeader.ID = protocol.NewMessageID(expiredHeader.Created.Time)
	futureHeader := net.header(0, 1)
	futureHeader.Created = later
	futureHeader.ID = protocol.NewMessageID(later.Time)
	oldHeader := net.header(0, 1)
	oldHeader.Created = protocol.NewTime(now.Add(-31 * 24 * time.Hour))
	oldHeader.ID = protocol.NewMessageID(oldHeader.Created.Time)
	idTimeHeader := net.header(0, 1)
	idTimeHeader.ID = protocol.NewMessageID(now.Add(-2 * protocol.MaxIDDrift))
	mismatch := net.header(0, 1)
	mismatchInner := protocol.Inner{Body: compactJSON(t, leadBody()), Case: "other-case", Created: mismatch.Created, From: mismatch.From, ID: mismatch.ID, MsgType: mismatch.MsgType, Net: mismatch.Net, To: mismatch.To, V: net.ver()}
	v3 := net.header(0, 1)
	v3.V = 3
	// A body signed by another key: version 1 carries the inner kid, which
	// differs from the header's; version 2 rebuilds the inner header from
	// the outer kid, so the signature fails.
	otherSigner := protocol.ReasonMismatch
	if net.ver() == protocol.FormatVersion2 {
		otherSigner = protocol.ReasonBadInnerSignature
	}
	// A v1 JWS holding a v2 header, or the other way round.
	crossed := net.header(0, 1)
	crossed.V = 3 - net.ver()
	crossedRaw := (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: crossed, to: []*protocol.MemberCard{me.Card}}).build(t)
	if net.ver() == protocol.FormatVersion2 {
		env, _, err := Parse(crossedRaw)
		if err != nil {
			t.Fatal(err)
		}
		prot, sig := jwsParts(t, net.ids[0], env.Ciphertext, crossed)
		if crossedRaw, err = (&frame{header: prot, signature: sig, ciphertext: env.Ciphertext}).encode(); err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := decodeFrame(crossedRaw)
		if err != nil {
			t.Fatal(err)
		}
		crossedRaw, err = jws.Sign(net.ids[0].Signing, protocol.MessageJWSType, crossed.Fields(), f.ciphertext)
		if err != nil {
			t.Fatal(err)
		}
	}
	lastTo := net.header(0, 1, 2)
	lastToInner := protocol.Inner{Body: compactJSON(t, leadBody()), Case: lastTo.Case, Created: lastTo.Created, From: lastTo.From, ID: lastTo.ID, MsgType: lastTo.MsgType, Net: lastTo.Net, To: []string{lastTo.To[0], net.ids[3].Agency()}, V: net.ver()}
	invalid := net.header(0, 1)
	invalidInner := protocol.Inner{Body: untitledLead(t), Case: invalid.Case, Created: invalid.Created, From: invalid.From, ID: invalid.ID, MsgType: invalid.MsgType, Net: invalid.Net, To: invalid.To, V: net.ver()}

	return []rejection{
		{"garbage", []byte("not a message"), net.keys(), protocol.ReasonMalformed},
		{"empty", nil, net.keys(), protocol.ReasonMalformed},
		{"oversized", bytes.Repeat([]byte("A"), protocol.MaxMessageSize+1), net.keys(), protocol.ReasonOversized},
		{"unknown sender", good, NewCardSet(net.cards[1:]...), protocol.ReasonUnknownSender},
		{"unknown kid", good, NewCardSet(append([]*protocol.MemberCard{other.Card}, net.cards[1:]...)...), protocol.ReasonUnknownKey},
		{"bad outer signature", swapSignature(t, good, net.sealTo(t, 0, 1).Raw), net.keys(), protocol.ReasonBadSignature},
		{"bad inner signature", (&forged{outerKey: net.ids[0], innerKey: other, header: net.header(0, 1), to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), otherSigner},
		{"inner signature by right kid, wrong key", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: net.header(0, 1), to: []*protocol.MemberCard{me.Card}, innerJWS: corruptSignature(t, net, 0)}).build(t), net.keys(), protocol.ReasonBadInnerSignature},
		{"not addressed", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: net.header(0, 2), to: []*protocol.MemberCard{me.Card, net.cards[2]}}).build(t), net.keys(), protocol.ReasonNotAddressed},
		{"header/body mismatch", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: mismatch, inner: mismatchInner, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonMismatch},
		{"expired", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: expiredHeader, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonExpired},
		{"from the future", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: futureHeader, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonFuture},
		{"too old", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: oldHeader, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonTooOld},
		{"id of another time", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: idTimeHeader, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonIDTime},
		{"unsupported version", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: v3, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonUnsupportedVersion},
		{"header version of the other framing", crossedRaw, net.keys(), protocol.ReasonMalformed},
		{"header/body mismatch in the last recipient", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: lastTo, inner: lastToInner, to: []*protocol.MemberCard{me.Card, net.cards[2]}}).build(t), net.keys(), protocol.ReasonMismatch},
		{"signed and bound, but invalid for its type", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: invalid, inner: invalidInner, to: []*protocol.MemberCard{me.Card}}).build(t), net.keys(), protocol.ReasonInvalidBody},
		{"not encrypted to me", (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: net.header(0, 1), to: []*protocol.MemberCard{net.cards[2]}}).build(t), net.keys(), protocol.ReasonUndecryptable},
	}
}

// untitledLead returns the example lead without its title: well-formed
// JSON of the right shape that the lead's rules refuse.
func untitledLead(t *testing.T) []byte {
	t.Helper()
	var lead protocol.Lead
	if err := json.Unmarshal(leadBody(), &lead); err != nil {
		t.Fatal(err)
	}
	lead.Title = ""
	b, err := json.Marshal(&lead)
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.ValidateBody(protocol.TypeLead, b); err == nil || !strings.Contains(err.Error(), "lead.title") {
		t.Fatalf("the untitled lead validates: %v", err)
	}
	return b
}

// TestRejections builds each kind of bad message and asserts its reason.
func TestRejections(t *testing.T) {
	for _, v := range versions() {
		net := testNetwork(t, protocol.KindClassic).withVersion(v)
		for _, c := range rejections(t, net) {
			t.Run(fmt.Sprintf("v%d/%s", v, c.name), func(t *testing.T) {
				_, err := Open(c.raw, net.ids[1], c.keys, VerifyOptions{Now: now, MaxAge: 30 * 24 * time.Hour})
				wantReason(t, err, c.want)
				var h hinted
				if errors.As(err, &h) && c.want != protocol.ReasonMalformed && c.want != protocol.ReasonUnsupportedVersion && c.want != protocol.ReasonUndecryptable && h.Hint() == "" {
					t.Fatalf("rejection %q has no hint", c.want)
				}
			})
		}
	}
}

type hinted interface{ Hint() string }

func TestSkewIsConfigurable(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	h := net.header(0, 1)
	h.Created = protocol.NewTime(now.Add(10 * time.Minute))
	h.ID = protocol.NewMessageID(h.Created.Time)
	raw := (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: h, to: []*protocol.MemberCard{net.cards[1]}}).build(t)
	_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
	wantReason(t, err, protocol.ReasonFuture)
	if _, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now, Skew: 15 * time.Minute}); err != nil {
		t.Fatalf("with a 15 min skew: %v", err)
	}
}

func TestWrongNetwork(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	raw := net.sealTo(t, 0, 1).Raw
	_, err := Verify(raw, net.keys(), VerifyOptions{Now: now, Network: "gljcn"})
	wantReason(t, err, protocol.ReasonNotAddressed)
}

// TestForwardingAttack: a recipient re-addresses a message it received to a
// third agency, under its own signature, keeping the original signed body.
func TestForwardingAttack(t *testing.T) {
	for _, v := range versions() {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			net := testNetwork(t, protocol.KindClassic).withVersion(v)
			orig := net.sealTo(t, 0, 1)
			opened, err := Open(orig.Raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			// a01 forwards a00's signed body to a02, as itself. Version 1
			// sees a00's kid inside a01's message; version 2 checks a00's
			// signature against a01's key.
			h := net.header(1, 2)
			h.ID, h.Case, h.Created = orig.Header.ID, orig.Header.Case, orig.Header.Created
			fwd := (&forged{outerKey: net.ids[1], header: h, to: []*protocol.MemberCard{net.cards[2]}, innerJWS: opened.Signed}).build(t)
			_, err = Open(fwd, net.ids[2], net.keys(), VerifyOptions{Now: now})
			wantReason(t, err, map[int]protocol.Reason{1: protocol.ReasonMismatch, 2: protocol.ReasonBadInnerSignature}[v])

			// a01 claims a00 sent it to a02, signing the outside with its own key
			// under a00's kid: the signature fails against a00's key.
			h2 := *orig.Header
			h2.To = []string{"a02"}
			f := &forged{outerKey: net.ids[1], header: h2, to: []*protocol.MemberCard{net.cards[2]}, innerJWS: opened.Signed}
			raw := f.build(t)
			_, err = Open(raw, net.ids[2], net.keys(), VerifyOptions{Now: now})
			wantReason(t, err, protocol.ReasonUnknownKey)

			// a00 itself re-wraps its signed body under a header to a02: the
			// signature verifies, the binding does not.
			h3 := *orig.Header
			h3.To = []string{"a02"}
			raw = (&forged{outerKey: net.ids[0], header: h3, to: []*protocol.MemberCard{net.cards[2]}, innerJWS: opened.Signed}).build(t)
			_, err = Open(raw, net.ids[2], net.keys(), VerifyOptions{Now: now})
			wantReason(t, err, protocol.ReasonMismatch)
		})
	}
}

// TestResigningAttack: an outsider strips the sender's signature and signs
// the same ciphertext as its own message.
func TestResigningAttack(t *testing.T) {
	for _, v := range versions() {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			net := testNetwork(t, protocol.KindClassic).withVersion(v)
			orig := net.sealTo(t, 0, 1)
			env, _, err := Parse(orig.Raw)
			if err != nil {
				t.Fatal(err)
			}
			h := *orig.Header
			h.From, h.Kid = "a05", net.ids[5].KeyID()
			raw := resign(t, net.ids[5].Signing, &h, env.Ciphertext)
			_, err = Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: now})
			wantReason(t, err, map[int]protocol.Reason{1: protocol.ReasonMismatch, 2: protocol.ReasonBadInnerSignature}[v])
		})
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	for _, kind := range kinds() {
		for _, v := range versions() {
			net := testNetwork(t, kind).withVersion(v)
			raw := net.sealTo(t, 0, 1, 2, 3).Raw
			env, p, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(reencode(t, env, p), raw) {
				t.Fatalf("%s v%d: parse → marshal is not byte-identical", kind, v)
			}
			var h protocol.Header
			if err := json.Unmarshal(p.Protected, &h); err != nil {
				t.Fatal(err)
			}
			again, err := protocol.Marshal(&h)
			if err != nil || !bytes.Equal(again, p.Protected) {
				t.Fatalf("%s v%d: header re-marshal differs:\n%s\n%s", kind, v, again, p.Protected)
			}
		}
	}
}

// TestAgeIsJudgedAtStorage opens a message created 29 days before the hub
// stored it, at a receiver's clock 3 days later: within the window as the
// hub stored it, it is accepted; without the storage time, it is too old.
func TestAgeIsJudgedAtStorage(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	h := net.header(0, 1)
	h.Created = protocol.NewTime(now.Add(-29 * 24 * time.Hour))
	h.ID = protocol.NewMessageID(h.Created.Time)
	raw := (&forged{outerKey: net.ids[0], innerKey: net.ids[0], header: h, to: []*protocol.MemberCard{net.cards[1]}}).build(t)
	later := now.Add(72 * time.Hour)
	if _, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: later, MaxAge: 30 * 24 * time.Hour, Stored: now}); err != nil {
		t.Fatalf("stored within the window: %v", err)
	}
	_, err := Open(raw, net.ids[1], net.keys(), VerifyOptions{Now: later, MaxAge: 30 * 24 * time.Hour})
	wantReason(t, err, protocol.ReasonTooOld)
}

// reencode serializes a parsed message again in its own version.
func reencode(t testing.TB, env *Envelope, p *jws.Parsed) []byte {
	t.Helper()
	if env.Header.V != protocol.FormatVersion2 {
		return p.Marshal()
	}
	out, err := (&frame{header: p.Protected, signature: p.Signature, ciphertext: p.Payload}).encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jwsParts signs ciphertext under h with id's key as a detached JWS.
func jwsParts(t testing.TB, id *identity.Identity, ciphertext []byte, h protocol.Header) (prot, sig []byte) {
	t.Helper()
	h.Alg, h.Typ, h.Kid = "EdDSA", protocol.MessageJWSType, id.KeyID()
	prot, sig, err := jws.SignDetached(id.Signing, protocol.MessageJWSType, h.Fields(), ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	return prot, sig
}
