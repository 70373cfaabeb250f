package hub

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// TestSignedNonce: only a user key's signature of the very nonce counts,
// in either base64 alphabet a client may send.
func TestSignedNonce(t *testing.T) {
	nonce := []byte("the server's nonce")
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	sig, _ := user.Sign(nonce)
	account, _ := nkeys.CreateAccount()
	accPub, _ := account.PublicKey()
	accSig, _ := account.Sign(nonce)
	for _, c := range []struct {
		name   string
		public string
		sig    string
		nonce  []byte
		want   bool
	}{
		{"raw URL base64", pub, base64.RawURLEncoding.EncodeToString(sig), nonce, true},
		{"standard base64", pub, base64.StdEncoding.EncodeToString(sig), nonce, true},
		{"another nonce", pub, base64.RawURLEncoding.EncodeToString(sig), []byte("another nonce"), false},
		{"no nonce", pub, base64.RawURLEncoding.EncodeToString(sig), nil, false},
		{"no signature", pub, "", nonce, false},
		{"not base64", pub, "!!!", nonce, false},
		{"an account key", accPub, base64.RawURLEncoding.EncodeToString(accSig), nonce, false},
		{"not a key", "UNOTAKEY", base64.RawURLEncoding.EncodeToString(sig), nonce, false},
	} {
		if got := signedNonce(c.public, c.sig, c.nonce); got != c.want {
			t.Errorf("%s: signedNonce = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestInternalUsersConnectInProcessOnly: the hub's own users, whose keys
// never leave the process, cannot log in over the network even with
// their keys.
func TestInternalUsersConnectInProcessOnly(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh)
	for name, kp := range map[string]nkeys.KeyPair{"service": n.hub.internal.service, "ingest": n.hub.internal.ingest, "answer": n.hub.internal.answer} {
		pub, err := kp.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		if nc, err := nats.Connect(n.hub.ClientURL(), nats.Nkey(pub, kp.Sign), nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
			if nc != nil {
				nc.Close()
			}
			t.Errorf("the %s user over TCP: %v, want an authorization violation", name, err)
		}
	}
	// The far end of an in-process connection is a pipe; a member's
	// connection is not.
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if !inProcess(p1.RemoteAddr()) || inProcess(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4222}) || inProcess(nil) {
		t.Error("inProcess does not tell a pipe from a TCP address")
	}
}

// TestAdmissionsUnderTraffic admits and revokes members on a running hub
// while two members exchange messages through JetStream. Reconfiguring
// the server's users with Server.ReloadOptions raced with that traffic
// inside nats-server (nats-io/nats-server#8499, seen by -race in CI); the
// hub now admits members without reconfiguring the server. Every message
// arrives, every admitted member exchanges at once, every revoked one is
// cut off.
func TestAdmissionsUnderTraffic(t *testing.T) {
	t.Parallel()
	n := newTestNet(t, gh, sn)
	from, to := n.connect(t, sn), n.connect(t, gh)
	const total = 300
	var (
		wg      sync.WaitGroup
		sendErr error
		got     int
		recvErr error
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range total {
			if _, err := from.js.Publish(ctx, protocol.IngestSubject(testNetwork, sn, gh, protocol.TypeLead), fmt.Appendf(nil, "m%d", i),
				jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), gh))); err != nil {
				sendErr = err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		cons, err := to.js.Consumer(ctx, protocol.StreamName(testNetwork), protocol.ConsumerName(gh))
		if err != nil {
			recvErr = err
			return
		}
		for got < total && ctx.Err() == nil {
			batch, err := cons.Fetch(50, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				recvErr = err
				return
			}
			for m := range batch.Messages() {
				if err := m.Ack(); err != nil {
					recvErr = err
					return
				}
				got++
			}
		}
	}()
	for i := range 4 {
		agency := fmt.Sprintf("ml-mj%d", i)
		n.add(t, agency)
		if err := n.hub.Reload(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		c := n.connect(t, agency)
		if _, err := c.js.Publish(ctxT(t), protocol.IngestSubject(testNetwork, agency, sn, protocol.TypeLead), []byte(agency),
			jetstream.WithMsgID(protocol.PublishID(protocol.NewMessageID(time.Now()), sn))); err != nil {
			t.Fatalf("admitted %s publishes: %v", agency, err)
		}
		sec, err := OpenSecretariat(n.dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sec.Revoke(agency, time.Now())
		sec.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := n.hub.Reload(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 10*time.Second, "revoked "+agency+" to be disconnected", func() bool { return c.nc.IsClosed() })
	}
	wg.Wait()
	if sendErr != nil || recvErr != nil {
		t.Fatalf("traffic during admissions: send %v, receive %v", sendErr, recvErr)
	}
	if got != total {
		t.Fatalf("%s received %d messages, want %d", gh, got, total)
	}
	msgs := fetchInbox(t, from, sn, 4)
	for i, m := range msgs {
		if want := fmt.Sprintf("ml-mj%d", i); string(m.Data()) != want {
			t.Errorf("%s's message %d is %q, want %q", sn, i, m.Data(), want)
		}
	}
}
