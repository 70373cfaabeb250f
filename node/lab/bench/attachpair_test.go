package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// TestAttachmentPaired runs the attachment scenario with each binary of
// CASENODE_ATTACH_EXES (colon-separated), alternating, CASENODE_ATTACH_ROUNDS
// times (default 3), with a file of CASENODE_ATTACH_SIZE bytes (default
// 256 MiB): paired runs of an old and a new binary in one process, each
// with its own baseline. Skipped unless CASENODE_ATTACH_EXES is set.
func TestAttachmentPaired(t *testing.T) {
	exes := os.Getenv("CASENODE_ATTACH_EXES")
	if exes == "" {
		t.Skip("CASENODE_ATTACH_EXES not set")
	}
	size := int64(256 << 20)
	if v, err := strconv.ParseInt(os.Getenv("CASENODE_ATTACH_SIZE"), 10, 64); err == nil && v > 0 {
		size = v
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("CASENODE_ATTACH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	kind := protocol.KindClassic
	if os.Getenv("CASENODE_ATTACH_PQ") != "" {
		kind = protocol.KindHybrid
	}
	keep := os.Getenv("CASENODE_ATTACH_DIR")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	for r := range rounds {
		for i, exe := range strings.Split(exes, ":") {
			dir := t.TempDir()
			if keep != "" {
				dir = filepath.Join(keep, fmt.Sprintf("r%d-%d", r, i))
			}
			load, _ := os.ReadFile("/proc/loadavg")
			res, err := Attachment(ctx, dir, exe, kind, size)
			if err != nil {
				t.Fatalf("%s: %v", exe, err)
			}
			v := res.Values
			fmt.Printf("round %d %s: end to end %.1f MiB/s, baseline %.1f MiB/s, ratio %.2f; CPU s sender %.2f hub %.2f receiver %.2f (baseline %.2f); RSS hub %.1f sender %.1f receiver %.1f MiB; load %s",
				r, filepath.Base(exe), v["end_to_end_mib_s"], v["raw_age_jetstream_mib_s"], res.Ratio, v["sender_cpu_s"], v["hub_cpu_s"], v["receiver_cpu_s"], v["raw_cpu_s"],
				v["hub_peak_rss_mb"], v["sender_peak_rss_mb"], v["receiver_peak_rss_mb"], load)
			if keep == "" {
				os.RemoveAll(dir)
			}
		}
	}
}
