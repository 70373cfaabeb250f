package hub

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestParseStreamMeta: a snapshot's meta document names a stream the hub
// could have, has both parts and nothing else.
func TestParseStreamMeta(t *testing.T) {
	good := `{"config":{"name":"casenet-wacap-messages","subjects":["casenet.wacap.msg.>"]},"state":{"messages":3,"bytes":10,"first_seq":1,"last_seq":3,"consumer_count":1}}`
	m, err := parseStreamMeta([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := m.state(); m.name() != "casenet-wacap-messages" || st.Msgs != 3 || st.LastSeq != 3 || st.Consumers != 1 {
		t.Errorf("parsed %s, %+v", m.name(), st)
	}
	for name, tt := range map[string]struct{ in, want string }{
		"path in name":  {`{"config":{"name":"../evil"},"state":{}}`, "stream name"},
		"no name":       {`{"config":{},"state":{}}`, "stream name"},
		"no state":      {`{"config":{"name":"x"}}`, "no config or no state"},
		"unknown field": {`{"config":{"name":"x"},"state":{},"extra":1}`, "unknown field"},
		"trailing data": {good + `{}`, "data after the object"},
		"bad state":     {`{"config":{"name":"x"},"state":{"messages":"many"}}`, "stream state"},
		"too big":       {`{"config":{"name":"x","description":"` + strings.Repeat("a", maxSnapshotMeta) + `"},"state":{}}`, "over"},
	} {
		if _, err := parseStreamMeta([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", name, err, tt.want)
		}
	}
}

// FuzzParseStreamMeta: no input makes the parser panic, and what it
// accepts encodes back to a document it accepts, which encodes back byte
// for byte.
func FuzzParseStreamMeta(f *testing.F) {
	f.Add([]byte(`{"config":{"name":"KV_casenet-wacap-roster"},"state":{"messages":1,"last_seq":1}}`))
	f.Add([]byte(`{"config":{"name":"a"},"state":{}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{ "config" : { "name" : "a" , "x" : [ 1 , 2 ] } , "state" : { } }`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseStreamMeta(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := parseStreamMeta(again)
		if err != nil {
			t.Fatalf("re-encoded %q refused: %v", again, err)
		}
		third, err := json.Marshal(m2)
		if err != nil {
			t.Fatal(err)
		}
		s1, _ := m.state()
		s2, _ := m2.state()
		if m.name() != m2.name() || s1 != s2 || !bytes.Equal(again, third) {
			t.Fatalf("round trip changed %q into %q, then %q", b, again, third)
		}
	})
}
