package auditlog

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
)

// agency is a test agency: its card and signing key.
type agency struct {
	card *protocol.MemberCard
	key  ed25519.PrivateKey
}

func newAgency(t testing.TB, network, id string) *agency {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	card := &protocol.MemberCard{
		Version: protocol.CardVersion, Network: network, Agency: id, Name: "Agency " + id, Country: "SN",
		SigningKey: protocol.PublicJWK(pub), AgeRecipient: a.Recipient().String(),
		Created: protocol.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
	if err := card.Validate(); err != nil {
		t.Fatal(err)
	}
	return &agency{card: card, key: priv}
}

func (a *agency) cardJSON(t testing.TB) []byte {
	t.Helper()
	b, err := a.card.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (a *agency) options() Options {
	return Options{Card: a.card, Key: a.key}
}

// rotatedFrom returns the options of a, the agency's new key, after a
// rotation from before.
func (a *agency) rotatedFrom(before *agency) Options {
	o := a.options()
	o.PreviousKeys = []ed25519.PublicKey{before.card.PublicKey()}
	return o
}

func testPath(t testing.TB) string { return filepath.Join(t.TempDir(), FileName) }

func openLog(t testing.TB, path string, o Options) *Log {
	t.Helper()
	l, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func openReader(t testing.TB, path string) *Reader {
	t.Helper()
	r, err := OpenReader(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// entry returns the i-th entry of a varied test stream.
func entry(i int, peer *agency) Entry {
	id := protocol.NewMessageID(time.Unix(1_700_000_000+int64(i), 0))
	switch i % 5 {
	case 0:
		return Entry{Type: TypeSent, Actor: "prosecutor amadou", MessageID: id, Payload: []byte(fmt.Sprintf("sealed message %d", i))}
	case 1:
		return Entry{Type: TypeReceived, Actor: peer.card.Agency, MessageID: id, Payload: []byte(fmt.Sprintf("sealed message %d from a peer", i))}
	case 2:
		return RejectedEntry(peer.card.Agency, "", protocol.ReasonBadSignature, "outer signature does not verify", []byte(fmt.Sprintf("forged %d", i)))
	case 3:
		return Entry{Type: TypeAccess, Actor: "prosecutor awa", MessageID: id, Payload: []byte(`{"action":"read"}`)}
	}
	return Entry{Type: TypeConfig, Actor: "operator", Payload: []byte(fmt.Sprintf("checkpoint_every = %d", i))}
}

// buildLog creates a log of n records after the card, with a checkpoint
// every every records, a peer's card, and a final checkpoint at Close.
func buildLog(t testing.TB, path string, a, peer *agency, n, every int) {
	t.Helper()
	l := openLog(t, path, a.options())
	ctx := context.Background()
	if _, err := l.Append(ctx, Entry{Type: TypeKey, Actor: peer.card.Agency, Payload: peer.cardJSON(t)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := l.Append(ctx, entry(i, peer)); err != nil {
			t.Fatal(err)
		}
		if every > 0 && (i+1)%every == 0 {
			if _, err := l.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// verify verifies the log at path.
func verify(t testing.TB, path string, o VerifyOptions) (*Report, error) {
	t.Helper()
	r, err := OpenReader(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Verify(context.Background(), o)
}

// wantFailure checks that err is a *VerifyError of kind at index.
func wantFailure(t testing.TB, err error, kind Kind, index int64, atCheckpoint bool) *VerifyError {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a %s failure at %d", err, kind, index)
	}
	if ve.Kind != kind || ve.Index != index || ve.AtCheckpoint != atCheckpoint {
		t.Fatalf("got %s failure at index %d (checkpoint %v): %v\nwant %s at %d (checkpoint %v)", ve.Kind, ve.Index, ve.AtCheckpoint, ve, kind, index, atCheckpoint)
	}
	t.Logf("as expected: %v", ve)
	return ve
}

// tamper edits the log file directly, as an attacker with the file would.
func tamper(t testing.TB, path string, fn func(b *buckets) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := readBuckets(tx)
		if err != nil {
			return err
		}
		return fn(b)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flip returns a copy of v with one bit of byte i flipped.
func flip(v []byte, i int) []byte {
	c := append([]byte(nil), v...)
	c[i] ^= 0x01
	return c
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func createFile(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
