package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"sync"
	"testing"
	"time"

	"encoding/json"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

// now is the fixed clock of these tests.
var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// network is a set of agencies of one recipient kind, generated once per kind
// and shared by the tests of this package: key generation is the slow part.
type network struct {
	ids   []*identity.Identity
	cards []*protocol.MemberCard
	// version is the format version sealTo and header use; 0 means
	// protocol.FormatVersion.
	version int
}

// versions are the format versions every test of the format runs against.
func versions() []int { return []int{protocol.FormatVersion1, protocol.FormatVersion2} }

// withVersion returns n sealing in format version v.
func (n *network) withVersion(v int) *network {
	c := *n
	c.version = v
	return &c
}

// ver returns the format version n seals in.
func (n *network) ver() int {
	if n.version == 0 {
		return protocol.FormatVersion
	}
	return n.version
}

var (
	netOnce  sync.Map // protocol.RecipientKind → *sync.Once
	networks sync.Map // protocol.RecipientKind → *network
)

// testNetwork returns 21 agencies a00…a20 of kind in network "wacap".
func testNetwork(t testing.TB, kind protocol.RecipientKind) *network {
	t.Helper()
	o, _ := netOnce.LoadOrStore(kind, new(sync.Once))
	o.(*sync.Once).Do(func() {
		n := &network{}
		for i := 0; i <= 20; i++ {
			id, err := identity.Generate("wacap", fmt.Sprintf("a%02d", i), fmt.Sprintf("Agency %d", i), "SN", kind, now)
			if err != nil {
				panic(err)
			}
			n.ids = append(n.ids, id)
			n.cards = append(n.cards, id.Card)
		}
		networks.Store(kind, n)
	})
	v, _ := networks.Load(kind)
	return v.(*network)
}

func (n *network) keys() *CardSet { return NewCardSet(n.cards...) }

func leadBody() []byte { return protocol.Example(protocol.TypeLead) }

// sealTo seals the example lead from n.ids[from] to the given agencies.
func (n *network) sealTo(t testing.TB, from int, to ...int) *Sealed {
	t.Helper()
	var cards []*protocol.MemberCard
	for _, i := range to {
		cards = append(cards, n.cards[i])
	}
	s, err := Seal(n.ids[from], cards, protocol.TypeLead, leadBody(), Options{Now: now, Case: "case-2026-001", Version: n.version})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// forged describes a message built by hand, to construct attacks that Seal
// would never produce.
type forged struct {
	outerKey *identity.Identity // signs the outer JWS (its kid goes in the header)
	innerKey *identity.Identity // signs the inner JWS
	header   protocol.Header    // the clear header; Kid is set from outerKey
	inner    protocol.Inner     // the signed body; zero fields are copied from header
	to       []*protocol.MemberCard
	innerJWS []byte // if set, encrypted as is instead of signing inner
}

func (f *forged) build(t testing.TB) []byte {
	t.Helper()
	h := f.header
	h.Alg, h.Typ, h.Kid = "EdDSA", protocol.MessageJWSType, f.outerKey.KeyID()
	if h.V == 0 {
		h.V = protocol.FormatVersion
	}
	in := f.inner
	if in.ID == "" {
		in = protocol.Inner{Body: leadBody(), Case: h.Case, Created: h.Created, Expires: h.Expires, From: h.From, ID: h.ID, MsgType: h.MsgType, Net: h.Net, To: h.To, V: h.V}
	}
	innerJWS := f.innerJWS
	if innerJWS == nil {
		in.Body = compactJSON(t, in.Body)
		payload, err := protocol.Marshal(&in)
		if err != nil {
			t.Fatal(err)
		}
		innerJWS, err = jws.Sign(f.innerKey.Signing, protocol.BodyJWSType, nil, payload)
		if err != nil {
			t.Fatal(err)
		}
	}
	if h.V != protocol.FormatVersion2 {
		return resign(t, f.outerKey.Signing, &h, ageEncrypt(t, innerJWS, f.to...))
	}
	return resign(t, f.outerKey.Signing, &h, ageEncrypt(t, innerPlainV2(t, innerJWS), f.to...))
}

// innerPlainV2 returns the version 2 plaintext of a compact inner JWS: its
// signature, then its payload.
func innerPlainV2(t testing.TB, compact []byte) []byte {
	t.Helper()
	parts := bytes.Split(compact, []byte{'.'})
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", compact)
	}
	payload, err1 := ageB64Strict.DecodeString(string(parts[1]))
	sig, err2 := ageB64Strict.DecodeString(string(parts[2]))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return append(sig, payload...)
}

// ageB64Strict decodes the parts of a compact JWS.
var ageB64Strict = base64.RawURLEncoding.Strict()

func compactJSON(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// header returns a valid clear header from n.ids[from] to the given agencies.
func (n *network) header(from int, to ...int) protocol.Header {
	var ids []string
	for _, i := range to {
		ids = append(ids, n.ids[i].Agency())
	}
	return protocol.Header{
		Case: "case-2026-001", Created: protocol.NewTime(now), From: n.ids[from].Agency(),
		ID: protocol.NewMessageID(now), MsgType: protocol.TypeLead, Net: "wacap", To: protocol.SortRecipients(ids),
		V: n.ver(),
	}
}

func wantReason(t *testing.T, err error, want protocol.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want rejection %q", want)
	}
	if got := ReasonOf(err); got != want {
		t.Fatalf("rejected with %q (%v); want %q", got, err, want)
	}
}

// identityLike returns a new identity for the same agency as id, with other
// keys: what an impostor claiming to be that agency would have.
func identityLike(id *identity.Identity) (*identity.Identity, error) {
	return identity.Generate(id.Network(), id.Agency(), id.Card.Name, id.Card.Country, id.Card.Kind(), now)
}

// swapSignature returns a's header and payload with b's signature.
func swapSignature(t testing.TB, a, b []byte) []byte {
	t.Helper()
	if isFrame(a) {
		fa, err := decodeFrame(a)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := decodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		out, err := (&frame{header: fa.header, signature: fb.signature, ciphertext: fa.ciphertext}).encode()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pa, pb := bytes.Split(a, []byte{'.'}), bytes.Split(b, []byte{'.'})
	return bytes.Join([][]byte{pa[0], pa[1], pb[2]}, []byte{'.'})
}

// corruptSignature returns an inner JWS by n.ids[i]'s kid whose signature is
// that of another payload.
func corruptSignature(t testing.TB, n *network, i int) []byte {
	t.Helper()
	h := n.header(i, 1)
	in := protocol.Inner{Body: compactJSON(t, leadBody()), Case: h.Case, Created: h.Created, From: h.From, ID: h.ID, MsgType: h.MsgType, Net: h.Net, To: h.To, V: h.V}
	payload, err := protocol.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	a, err := jws.Sign(n.ids[i].Signing, protocol.BodyJWSType, nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jws.Sign(n.ids[i].Signing, protocol.BodyJWSType, nil, []byte("other"))
	if err != nil {
		t.Fatal(err)
	}
	return swapSignature(t, a, b)
}

// resign signs ciphertext under header h with key, as a forger would, in
// h's format version (a version 1 JWS for any version but 2).
func resign(t testing.TB, key ed25519.PrivateKey, h *protocol.Header, ciphertext []byte) []byte {
	t.Helper()
	if h.V != protocol.FormatVersion2 {
		raw, err := jws.Sign(key, protocol.MessageJWSType, h.Fields(), ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	prot, sig, err := jws.SignDetached(key, protocol.MessageJWSType, h.Fields(), ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := (&frame{header: prot, signature: sig, ciphertext: ciphertext}).encode()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
