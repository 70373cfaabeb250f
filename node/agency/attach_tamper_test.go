package agency_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// withHubStore stops the hub and runs fn on a NATS server of the test's
// own that opens the hub's JetStream files in the hub's account, as
// someone with the hub's disk could.
func (w *testNetwork) withHubStore(fn func(ctx context.Context, js jetstream.JetStream)) {
	w.t.Helper()
	w.stopHub()
	o := &server.Options{}
	conf := fmt.Sprintf("listen: \"127.0.0.1:-1\"\njetstream { store_dir: %q }\naccounts { HUB { jetstream: enabled, users: [{user: t, password: t}] } }\n", filepath.Join(w.hubDir, "jetstream"))
	if err := o.ProcessConfigString(conf); err != nil {
		w.t.Fatal(err)
	}
	o.NoSigs, o.NoLog = true, true
	s, err := server.NewServer(o)
	if err != nil {
		w.t.Fatal(err)
	}
	s.Start()
	defer func() {
		s.Shutdown()
		s.WaitForShutdown()
	}()
	if !s.ReadyForConnections(10 * time.Second) {
		w.t.Fatal("the test's server did not start")
	}
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo("t", "t"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	poll.Until(w.t, 10*time.Second, "the attachment stream", func() bool {
		_, err = js.Stream(ctx, "casenet-"+w.network+"-att")
		return err == nil
	})
	fn(ctx, js)
}

// tamperChunk flips one byte of a stored chunk, keeping its recorded
// digest.
func (w *testNetwork) tamperChunk(object string, chunk int) {
	w.t.Helper()
	w.withHubStore(func(ctx context.Context, js jetstream.JetStream) {
		st, err := js.Stream(ctx, "casenet-"+w.network+"-att")
		if err != nil {
			w.t.Fatal(err)
		}
		// Its subject carries its sender's agency (protocol.AttachChunkSubject).
		m, err := st.GetLastMsgForSubject(ctx, fmt.Sprintf("casenet.%s.attdata.*.%s.%d", w.network, object, chunk))
		if err != nil {
			w.t.Fatal(err)
		}
		if err := st.DeleteMsg(ctx, m.Sequence); err != nil {
			w.t.Fatal(err)
		}
		bad := nats.NewMsg(m.Subject)
		bad.Data = bytes.Clone(m.Data)
		bad.Data[len(bad.Data)/2] ^= 1
		bad.Header.Set(protocol.AttachChunkHeader, m.Header.Get(protocol.AttachChunkHeader))
		if _, err := js.PublishMsg(ctx, bad); err != nil {
			w.t.Fatal(err)
		}
	})
}

// passRetention lets the hub's retention pass for the attachments it
// holds: hub.json cannot say less than a day, so the attachment stream and
// bucket are given a retention of one second, on the hub's files, until
// they are empty; the hub, started again, sets its own back.
func (w *testNetwork) passRetention() {
	w.t.Helper()
	w.withHubStore(func(ctx context.Context, js jetstream.JetStream) {
		names := []string{"casenet-" + w.network + "-att", "KV_casenet-" + w.network + "-attach"}
		for _, name := range names {
			st, err := js.Stream(ctx, name)
			if err != nil {
				w.t.Fatal(err)
			}
			cfg := st.CachedInfo().Config
			cfg.MaxAge, cfg.Duplicates = time.Second, time.Second
			if _, err := js.UpdateStream(ctx, cfg); err != nil {
				w.t.Fatal(err)
			}
		}
		poll.Until(w.t, 30*time.Second, "the attachments deleted at the retention", func() bool {
			for _, name := range names {
				st, err := js.Stream(ctx, name)
				if err != nil || st.CachedInfo().State.Msgs != 0 {
					return false
				}
			}
			return true
		})
	})
}

func TestTamperedAttachmentIsRefusedNamedAndAskedAgain(t *testing.T) {
	t.Parallel()
	w, a, b, res := sendWaiting(t, "phone-extraction.zip", 3*protocol.AttachChunkSize)
	object := attachmentsOf(t, b, res.ID)[0].Object
	w.tamperChunk(object, 1)
	w.restartHub()
	w.waitReady("gh-ag", 3)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	_, err := b.AttachmentGet(ctx, actor, res.ID, "phone-extraction.zip", &out)
	var he *hint.Error
	if !errors.As(err, &he) || !strings.Contains(he.Msg, "attachment phone-extraction.zip of message "+res.ID+" was refused") ||
		!strings.Contains(he.Msg, "chunk 1 of object "+object+" does not match its SHA-256") || !strings.Contains(he.Fix, "asks for it again") {
		t.Fatalf("got %v, want the attachment named as refused for its chunk 1", err)
	}
	if out.Len() != 0 {
		t.Fatalf("%d bytes of a refused attachment given out", out.Len())
	}
	if s := copyState(t, a, res.ID, "gh-ag"); s == agency.CopyDelivered {
		t.Fatal("delivered with a refused attachment")
	}
	// Refused and recorded, then asked for again after a back-off.
	refusals := func() int {
		n := 0
		for _, r := range w.audit("gh-ag") {
			if strings.Contains(string(r.Payload), `"action":"attachment-refused"`) && strings.Contains(string(r.Payload), object) {
				n++
			}
		}
		return n
	}
	poll.Until(t, 30*time.Second, "the attachment asked for again", func() bool { return refusals() >= 2 })
	if as := attachmentsOf(t, b, res.ID); as[0].State != "refused" || !strings.Contains(as[0].Error, "chunk 1") {
		t.Fatalf("attachment state %q (%s)", as[0].State, as[0].Error)
	}
}

func TestAttachmentDeletedAtTheRetentionCannotBeFetched(t *testing.T) {
	t.Parallel()
	w, _, b, res := sendWaiting(t, "bank-statement.pdf", 2*protocol.AttachChunkSize+5)
	w.passRetention()
	w.restartHub()
	w.waitReady("gh-ag", 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	_, err := b.AttachmentGet(ctx, actor, res.ID, "bank-statement.pdf", &out)
	var he *hint.Error
	if !errors.As(err, &he) || he.Kind != agency.ErrNotFound ||
		!strings.Contains(he.Msg, "attachment bank-statement.pdf of message "+res.ID+" cannot be fetched: it is no longer at the hub: deleted at the network's retention") ||
		!strings.Contains(he.Fix, "ask sn-pj to send the file again") {
		t.Fatalf("got %v, want the attachment named as deleted at the hub", err)
	}
	if out.Len() != 0 {
		t.Fatalf("%d bytes given out", out.Len())
	}
}
