package hub

import (
	"bytes"
	"context"
	"github.com/casenode/casenode/node/attach"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAttachmentTransfer uploads one object of
// CASENODE_BENCH_ATTACH_MIB MiB (default 64) from one member while its
// recipient follows it, as nodes do, through a hub in this process with
// its default configuration (sync "always"), and reports the rate from
// the declaration until the recipient has the last chunk. For profiles of
// the hub's side: go test -run '^$' -bench AttachmentTransfer -cpuprofile.
func BenchmarkAttachmentTransfer(b *testing.B) {
	mib := 64
	if v, err := strconv.Atoi(os.Getenv("CASENODE_BENCH_ATTACH_MIB")); err == nil && v > 0 {
		mib = v
	}
	for range b.N {
		b.StopTimer()
		n := newTestNet(b, gh, sn)
		// As nodes have them (agency.transfers).
		up := attach.New(n.connect(b, gh).nc, testNetwork, gh, attach.Options{})
		down := attach.New(n.connect(b, sn).nc, testNetwork, sn, attach.Options{})
		o := newTestObject(b, gh, mib<<20, sn)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		b.StartTimer()
		start := time.Now()
		if err := up.Declare(ctx, o.object, o.decl); err != nil {
			b.Fatal(err)
		}
		followed := make(chan error, 1)
		go func() {
			followed <- down.Follow(ctx, o.object, io.Discard, int64(len(o.data)), 0, 30*time.Second, nil)
		}()
		if err := up.Upload(ctx, o.object, bytes.NewReader(o.data), int64(len(o.data)), nil); err != nil {
			b.Fatal(err)
		}
		uploaded := time.Since(start)
		if err := <-followed; err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(mib)/took.Seconds(), "MiB/s")
		b.ReportMetric(float64(mib)/uploaded.Seconds(), "upload-MiB/s")
		n.hub.Close()
	}
}
