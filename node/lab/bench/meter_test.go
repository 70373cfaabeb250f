package bench

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/casenode/casenode/internal/poll"
)

// TestMeterS2 sends two publications through a meter to a real TCP
// sink: one of zeros, which S2 shrinks to a fraction, and one of random
// bytes, which it cannot shrink. The raw counts are the bytes sent; the S2
// counts tell them apart.
func TestMeterS2(t *testing.T) {
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	var got bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := sink.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(&got, c)
	}()
	m, err := NewMeter(sink.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := net.Dial("tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	zeros, random := make([]byte, 8000), make([]byte, 8000)
	rand.Read(random)
	var sent bytes.Buffer
	for _, p := range [][]byte{zeros, random} {
		fmt.Fprintf(&sent, "PUB x %d\r\n", len(p))
		sent.Write(p)
		sent.WriteString("\r\n")
	}
	if _, err := c.Write(sent.Bytes()); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10e9, "both publications counted", func() bool { return m.Snapshot()[Up][CategoryOther] == int64(sent.Len()) })
	c.Close()
	<-done
	if !bytes.Equal(got.Bytes(), sent.Bytes()) {
		t.Fatalf("the sink got %d bytes, not the %d sent", got.Len(), sent.Len())
	}
	z := m.SnapshotS2()[Up][CategoryOther]
	// The zeros shrink to well under 1 KB; the random bytes stay about
	// 8,000 (S2 stores an incompressible block as it is, with a few
	// bytes of framing).
	if z < 8000 || z > 9000 {
		t.Fatalf("S2 counts %d bytes for %d sent: want 8,000–9,000 (the random publication's, the zeros' shrunk)", z, sent.Len())
	}
}
