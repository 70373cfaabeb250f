package config

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseHub checks that the hub decoder never panics and that a valid
// configuration survives Marshal and ParseHub unchanged.
func FuzzParseHub(f *testing.F) {
	f.Add([]byte(`{"network":"wacap"}`))
	f.Add([]byte(`{"network":"wacap","listen":"0.0.0.0:0","sync":"2m","retention":"0s","duplicate_window":"2h"}`))
	f.Add([]byte(`{"network":"wacap","max_payload":1e9}`))
	f.Add([]byte(`{"network":"wacap","tls":{"cert_file":"tls/hub.crt","key_file":"tls/hub.key","ca_file":"tls/ca.crt","verify_clients":true}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHub(data)
		if err != nil {
			return
		}
		out, err := h.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseHub(out)
		if err != nil {
			t.Fatalf("marshalled configuration does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, h) {
			t.Fatalf("round trip differs: %+v, %+v", h, again)
		}
	})
}

// FuzzParseNode is FuzzParseHub for node.json.
func FuzzParseNode(f *testing.F) {
	f.Add(testNode(f, ""))
	f.Add(testNode(f, `"api":{"socket":"a","listen":"[::1]:80","token_file":"t"},"ca_file":"ca.pem"`))
	f.Add(testNode(f, `"ca_file":"ca.crt","tls_cert_file":"c.crt","tls_key_file":"c.key"`))
	f.Add([]byte(`{"secretariat_key":{"kty":"OKP","crv":"Ed25519","x":"AA"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNode(data)
		if err != nil {
			return
		}
		out, err := n.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseNode(out)
		if err != nil {
			t.Fatalf("marshalled configuration does not parse: %v\n%s", err, out)
		}
		a, _ := json.Marshal(n)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("round trip differs:\n%s\n%s", a, b)
		}
	})
}
