package attach

import (
	"errors"
	"strings"
	"testing"

	"github.com/casenode/casenode/protocol"
)

func TestParsePubAck(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		code string // a *ServiceError's, when not ok
	}{
		{`{"stream":"casenet-w-att","seq":12}`, true, ""},
		{`{"stream":"casenet-w-att","seq":12,"domain":"x","duplicate":true}`, true, ""},
		{`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"}}`, true, ""},
		{`{"error":{"code":503,"err_code":10077,"description":"maximum messages per subject exceeded"}}`, true, ""},
		{`{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"}}`, false, protocol.AttachInvalid},
		{`{"error":{"code":503,"err_code":10077,"description":"no space left"}}`, false, ""},
		{`{"stream":"casenet-w-att"}`, false, ""},
		{`not json`, false, ""},
		{`{"stream":"s","seq":1,"pad":"` + strings.Repeat("a", maxPubAck) + `"}`, false, ""},
	} {
		err := parsePubAck([]byte(c.in))
		if (err == nil) != c.ok {
			t.Errorf("%.60s: got %v, want ok %v", c.in, err, c.ok)
			continue
		}
		var se *ServiceError
		if c.code != "" && (!errors.As(err, &se) || se.Code != c.code) {
			t.Errorf("%.60s: got %v, want the code %s", c.in, err, c.code)
		}
		if c.code == "" && err != nil && errors.As(err, &se) {
			t.Errorf("%.60s: got the refusal %v, want an error asked again", c.in, err)
		}
	}
}

func FuzzParsePubAck(f *testing.F) {
	f.Add([]byte(`{"stream":"casenet-w-att","seq":12}`))
	f.Add([]byte(`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if parsePubAck(b) == nil && len(b) > maxPubAck {
			t.Fatalf("accepted an answer of %d bytes", len(b))
		}
	})
}
