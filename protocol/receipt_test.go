package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// canonicalReceipt is the example receipt in its canonical encoding.
func canonicalReceipt(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, Example(TypeReceipt)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const rejectedReceipt = `{"v":1,"id":"0196ed27-6234-71d4-b9c8-e7f0a21b3c4d","network":"wa-demo","from":"ng-ag-abuja","to":"gh-ag-accra","message_id":"0196ed27-54e0-7a3c-8f2d-41b6e07c9e25","message_hash":"4ad279305a713c598d953964fbb1c4b184a504c99c398b773b83ee55f250cd25","kind":"rejected","reason":"bad-inner-signature","time":"2025-05-20T10:05:03.412Z"}`

func TestReceiptRoundTrip(t *testing.T) {
	for _, data := range [][]byte{canonicalReceipt(t), []byte(rejectedReceipt)} {
		r, err := ParseReceipt(data)
		if err != nil {
			t.Fatalf("ParseReceipt: %v\n%s", err, data)
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("parse then marshal is not byte-identical:\n got %s\nwant %s", out, data)
		}
	}
}

func TestParseReceiptRefuses(t *testing.T) {
	good := string(canonicalReceipt(t))
	notCanonical := []struct{ name, data string }{
		{"indented", string(Example(TypeReceipt))},
		{"trailing newline", good + "\n"},
		{"keys reordered", strings.Replace(good, `{"v":1,"id":"0196ed27-6234-71d4-b9c8-e7f0a21b3c4d",`, `{"id":"0196ed27-6234-71d4-b9c8-e7f0a21b3c4d","v":1,`, 1)},
		{"space after colon", strings.Replace(good, `"kind":"delivered"`, `"kind": "delivered"`, 1)},
		{"escaped letter", strings.Replace(good, `"wa-demo"`, `"w\u0061-demo"`, 1)},
		{"empty reason", strings.Replace(good, `"kind":"delivered",`, `"kind":"delivered","reason":"",`, 1)},
	}
	for _, tt := range notCanonical {
		if _, err := ParseReceipt([]byte(tt.data)); !errors.Is(err, ErrNotCanonical) {
			t.Errorf("%s: got %v, want ErrNotCanonical", tt.name, err)
		}
	}
	others := []struct{ name, data, want string }{
		{"duplicate key", strings.Replace(good, `"kind":"delivered",`, `"kind":"rejected","kind":"delivered",`, 1), `decode receipt: duplicate key "kind"`},
		{"key in other case", strings.Replace(good, `"kind"`, `"Kind"`, 1), `decode receipt: key "Kind": keys are lowercase ASCII letters, digits and '_', spelled exactly as the field names`},
		{"oversized", good + strings.Repeat(" ", MaxReceiptSize+1-len(good)), "receipt is 4097 bytes, over the limit of 4096"},
		{"unknown field", strings.Replace(good, `{"v":1,`, `{"v":1,"via":"x",`, 1), `decode receipt: json: unknown field "via"`},
		{"invalid", strings.Replace(good, `"kind":"delivered"`, `"kind":"bounced"`, 1), `receipt.kind: must be one of delivered, read, rejected (is "bounced")`},
	}
	for _, tt := range others {
		if _, err := ParseReceipt([]byte(tt.data)); errString(err) != tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.want)
		}
	}
}

func TestReceiptRules(t *testing.T) {
	type R = *Receipt
	checkRules(t, []rule{
		{"example", edit(t, func(r R) {}), ""},
		{"rejected", edit(t, func(r R) { r.Kind, r.Reason = ReceiptRejected, ReasonExpired }), ""},
		{"read", edit(t, func(r R) { r.Kind = ReceiptRead }), ""},
		{"version", edit(t, func(r R) { r.Version = 2 }), "receipt.v: unsupported version 2 (this casenode reads version 1)"},
		{"id", edit(t, func(r R) { r.ID = "r-1" }), `receipt.id: invalid message id "r-1": must be a lowercase UUIDv7`},
		{"network", edit(t, func(r R) { r.Network = "" }), `receipt.network: invalid network id "": must be ` + IDRule},
		{"from", edit(t, func(r R) { r.From = "ng.ag" }), `receipt.from: invalid agency id "ng.ag": must be ` + IDRule},
		{"to", edit(t, func(r R) { r.To = "-gh" }), `receipt.to: invalid agency id "-gh": must be ` + IDRule},
		{"to self", edit(t, func(r R) { r.To = r.From }), `receipt.to: must not be the issuing agency "ng-ag-abuja"`},
		{"message id", edit(t, func(r R) { r.MessageID = "" }), `receipt.message_id: invalid message id "": must be a lowercase UUIDv7`},
		{"message id is own id", edit(t, func(r R) { r.MessageID = r.ID }), "receipt.message_id: must not be the receipt's own id"},
		{"message hash", edit(t, func(r R) { r.MessageHash = "sha256:00" }), `receipt.message_hash: "sha256:00" is not a SHA-256 digest (64 lowercase hex digits)`},
		{"kind", edit(t, func(r R) { r.Kind = "" }), `receipt.kind: must be one of delivered, read, rejected (is "")`},
		{"rejected without reason", edit(t, func(r R) { r.Kind = ReceiptRejected }), "receipt.reason: must be set when kind is rejected"},
		{"unknown reason", edit(t, func(r R) { r.Kind, r.Reason = ReceiptRejected, "spam" }), `receipt.reason: must be one of ` + reasonList() + ` (is "spam")`},
		{"reason when delivered", edit(t, func(r R) { r.Reason = ReasonConflict }), "receipt.reason: must be absent unless kind is rejected"},
		{"time", edit(t, func(r R) { r.Time = Time{} }), "receipt.time: must be set"},
	})
}

func reasonList() string {
	var s []string
	for _, r := range Reasons() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func TestValidReason(t *testing.T) {
	for _, r := range Reasons() {
		if !ValidReason(r) {
			t.Errorf("ValidReason(%q) = false", r)
		}
	}
	for _, r := range []Reason{"", "other", "Malformed", "malformed "} {
		if ValidReason(r) {
			t.Errorf("ValidReason(%q) = true", r)
		}
	}
}

// TestReasonsListsEveryReason keeps Reasons in step with the constants of
// reason.go.
func TestReasonsListsEveryReason(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "reason.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []Reason
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Reason" {
				continue
			}
			for _, val := range v.Values {
				if lit, ok := val.(*ast.BasicLit); ok {
					declared = append(declared, Reason(strings.Trim(lit.Value, `"`)))
				}
			}
		}
	}
	if len(declared) == 0 || !slices.Equal(declared, Reasons()) {
		t.Errorf("Reasons() = %v\nreason.go declares %v", Reasons(), declared)
	}
}

func FuzzParseReceipt(f *testing.F) {
	f.Add(canonicalReceipt(f))
	f.Add([]byte(rejectedReceipt))
	f.Add(Example(TypeReceipt))
	f.Add([]byte(strings.Replace(rejectedReceipt, `"reason":"bad-inner-signature",`, ``, 1)))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReceipt(data)
		if err != nil {
			return
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatalf("valid receipt does not encode: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("parse then marshal is not byte-identical:\n got %s\nwant %s", out, data)
		}
		if err := ValidateBody(TypeReceipt, data); err != nil {
			t.Fatalf("ParseReceipt accepts what ValidateBody refuses: %v", err)
		}
	})
}
