package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// TestAuditLogInUse checks the message when a node holds the log: the
// audit commands wait for the lock a moment, then say so and what to do.
func TestAuditLogInUse(t *testing.T) {
	id, err := identity.Generate("wacap", "sn-pj-dakar", "Parquet de Dakar", "SN", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), auditlog.FileName)
	l, err := auditlog.Open(path, auditlog.Options{Card: id.Card, Key: id.Signing})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	code, _, stderr := runCLI(t, "audit", "verify", "--db", path)
	if code != exitFailure {
		t.Errorf("verify: exit code %d, want %d", code, exitFailure)
	}
	want := "casenode: error: audit log " + path + " is in use by a running node; use 'casenode audit snapshot'\n"
	if !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "casenode: hint: the audit commands work on a copy: 'casenode audit snapshot --dir NODE_DIR --out COPY'") {
		t.Errorf("verify: stderr\n%s\nwant it to start with\n%s", stderr, want)
	}

	code, _, stderr = runCLI(t, "audit", "snapshot", "--db", path, "--out", path+".copy")
	if code != exitFailure || !strings.Contains(stderr, "is in use by a running node") || !strings.Contains(stderr, "--dir NODE_DIR") {
		t.Errorf("snapshot: exit code %d, stderr\n%s", code, stderr)
	}
}

// TestAuditExitCodes pins the documented exit code of each kind of failure.
func TestAuditExitCodes(t *testing.T) {
	for kind, want := range map[auditlog.Kind]int{
		auditlog.KindIntegrity:  3,
		auditlog.KindTruncation: 4,
		auditlog.KindFork:       5,
		auditlog.KindTrust:      6,
	} {
		err := auditFailure("audit verify", &auditlog.VerifyError{Kind: kind, Index: 7})
		var b bytes.Buffer
		if got := report(&b, err); got != want {
			t.Errorf("%s: exit code %d, want %d", kind, got, want)
		}
		if !strings.HasPrefix(b.String(), "casenode: error: audit verify: "+kind.String()+" failure at record 7: ") || !strings.Contains(b.String(), "casenode: hint: ") {
			t.Errorf("%s: output %q", kind, b.String())
		}
	}
}

// TestReplayNamesThePublisher: a rejection tells the publisher the hub
// authenticated next to the sender the input claimed, and says when the
// input's bytes were not kept; a version 1 rejection reads as before.
func TestReplayNamesThePublisher(t *testing.T) {
	rj := auditlog.NewRejection(protocol.ReasonWrongPublisher, "claims to be from ng-ag-abuja, but the hub says gh-ag-accra published it", []byte("sealed"))
	rj.Publisher = "gh-ag-accra"
	ev := &replayEvent{Actor: "ng-ag-abuja"}
	got := rejectedText(ev, rejectedEvent(rj))
	if want := "rejected an input published by gh-ag-accra, claiming to be from ng-ag-abuja: wrong-publisher"; !strings.HasPrefix(got, want) || !strings.Contains(got, "kept whole") {
		t.Errorf("replay: %q, want it to start with %q", got, want)
	}
	if ev.Publisher != "gh-ag-accra" || ev.Claimed != "ng-ag-abuja" {
		t.Errorf("--json fields: publisher %q, claimed %q", ev.Publisher, ev.Claimed)
	}
	rj.Withhold()
	if got := rejectedText(&replayEvent{Actor: "ng-ag-abuja"}, rejectedEvent(rj)); !strings.Contains(got, "not kept: over the hourly number of rejections kept in full") {
		t.Errorf("replay of a withheld input: %q", got)
	}
	v1 := auditlog.NewRejection(protocol.ReasonBadSignature, "outer signature does not verify", []byte("forged"))
	v1.Version = auditlog.RejectionV1
	if got := rejectedText(&replayEvent{Actor: "ng-ag-abuja"}, rejectedEvent(v1)); !strings.HasPrefix(got, "rejected an input from ng-ag-abuja: bad-signature") {
		t.Errorf("replay of a version 1 rejection: %q", got)
	}
}

// rejectedEvent is the rejected record of rj, decoded as replay reads it.
func rejectedEvent(rj *auditlog.Rejection) *auditlog.Event {
	return auditlog.Describe(&auditlog.Record{Type: auditlog.TypeRejected, Actor: "ng-ag-abuja"}, rj.Encode())
}
