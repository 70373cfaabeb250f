package main

import (
	"strings"
	"testing"

	"github.com/casenode/casenode/node/agency"
)

// TestAttachState: what outbox, status and attachment list say of a
// transfer under way: the share, the bytes done of all, and while it
// moves its rate and the time left.
func TestAttachState(t *testing.T) {
	for _, c := range []struct {
		a    agency.Attachment
		want string
	}{
		{agency.Attachment{State: "pending", Done: 3 << 20, Rate: 256 << 10, Attachment: attachTotal(8 << 20)}, "37% (3.0 MiB of 8.0 MiB) 0.25 MiB/s, 20s left"},
		{agency.Attachment{State: "pending", Attachment: attachTotal(2 << 30)}, "0% (0.0 MiB of 2048.0 MiB)"},
		{agency.Attachment{State: "done", Done: 10, Attachment: attachTotal(10)}, "done"},
		{agency.Attachment{State: "refused", Error: "over the quota"}, "refused: over the quota"},
	} {
		if got := attachState(c.a); got != c.want {
			t.Errorf("attachState(%+v) = %q, want %q", c.a, got, c.want)
		}
	}
	sum := attachSummary([]agency.Attachment{
		{State: "done", Done: 1 << 20, Attachment: attachTotal(1 << 20)},
		{State: "pending", Done: 1 << 20, Rate: 1 << 20, Attachment: attachTotal(4 << 20)},
	})
	if want := "40% (2.0 MiB of 5.0 MiB) 1.00 MiB/s, 3s left"; sum != want {
		t.Errorf("attachSummary = %q, want %q", sum, want)
	}
	var b strings.Builder
	printStatus(&b, &agency.Status{Transfers: agency.TransferStatus{Moving: 2, Done: 3 << 20, Total: 8 << 20, Rate: 256 << 10}}, nil)
	if want := "transfers  2 attachments moving: 37% (3.0 MiB of 8.0 MiB) 0.25 MiB/s, 20s left\n"; !strings.Contains(b.String(), want) {
		t.Errorf("status says:\n%s\nwant the line %q", b.String(), want)
	}
}
