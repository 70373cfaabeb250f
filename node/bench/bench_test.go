package bench

import (
	"context"
	"testing"

	"github.com/casenode/casenode/protocol"
)

// The scenarios run with tiny counts: these are smoke tests of the bench
// code, not measurements (make bench and casenode bench measure).

func TestFloorSmoke(t *testing.T) {
	r, err := Floor(context.Background(), protocol.KindClassic, 3, 8, Body(1024))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "floor/3" || r.Messages != 8 || r.PerSecond <= 0 {
		t.Fatalf("result %+v", r)
	}
}

func TestRawJetStreamSmoke(t *testing.T) {
	r, err := RawJetStream(context.Background(), t.TempDir(), 200, 1024, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages != 200 || r.PerSecond <= 0 || r.Values["publish_per_second"] <= 0 || r.Values["consume_per_second"] <= 0 {
		t.Fatalf("result %+v", r)
	}
}
