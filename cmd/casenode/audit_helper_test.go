package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// auditHelperEnv, set to 1, turns the test binary run as "casenode" by the
// CLI scripts into the audit test helper: it makes, alters and extends
// audit logs for testdata/audit_*.txtar, which cannot otherwise create one
// (no command of casenode writes an audit log but a running node).
//
//	env CASENODE_AUDIT_TESTHELPER=1
//	exec casenode gen ID_DIR DB N       a new log of N entries by the agency of ID_DIR (created if missing, named after it)
//	exec casenode append ID_DIR DB N    N more entries
//	exec casenode flip DB INDEX         flip a bit of record INDEX
//	exec casenode truncate DB KEEP      remove every record from KEEP on, with its hashes and checkpoints
//	exec casenode forge DB              append a correctly chained access record, hashes recomputed, nothing signed
//	exec casenode bucket DB OP NAME     OP drop or add: delete or create bucket NAME
//	exec casenode format DB VALUE       set meta's format
//	exec casenode exit CODE ARGS...     run 'casenode ARGS...' and require exit code CODE
//	env CASENODE_AUDIT_TESTHELPER=
const auditHelperEnv = "CASENODE_AUDIT_TESTHELPER"

func init() {
	if os.Getenv(auditHelperEnv) == "1" && filepath.Base(os.Args[0]) == "casenode" {
		os.Exit(auditHelper(os.Args[1:]))
	}
}

func auditHelper(args []string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "audit test helper:", err)
		return 1
	}
	if len(args) == 0 {
		return fail(errors.New("no helper command"))
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			panic(fmt.Sprintf("audit test helper: %q is not a number", s))
		}
		return n
	}
	var err error
	switch cmd, a := args[0], args[1:]; {
	case cmd == "gen" && len(a) == 3:
		err = helperWrite(a[0], a[1], num(a[2]), true)
	case cmd == "append" && len(a) == 3:
		err = helperWrite(a[0], a[1], num(a[2]), false)
	case cmd == "flip" && len(a) == 2:
		err = helperTamper(a[0], func(b map[string]*bolt.Bucket) error {
			k := itobHelper(int64(num(a[1])))
			v := append([]byte(nil), b["records"].Get(k)...)
			if len(v) == 0 {
				return fmt.Errorf("no record %s", a[1])
			}
			v[len(v)/2] ^= 0x01
			return b["records"].Put(k, v)
		})
	case cmd == "truncate" && len(a) == 2:
		keep := int64(num(a[1]))
		err = helperTamper(a[0], func(b map[string]*bolt.Bucket) error {
			for _, name := range []string{"records", "payloads", "checkpoints"} {
				from := keep
				if name == "checkpoints" {
					from = keep + 1
				}
				if err := deleteFrom(b[name], from); err != nil {
					return err
				}
			}
			return deleteFrom(b["hashes"], tlog.StoredHashCount(keep))
		})
	case cmd == "forge" && len(a) == 1:
		err = helperTamper(a[0], helperForge)
	case cmd == "bucket" && len(a) == 3:
		err = helperTx(a[0], func(tx *bolt.Tx) error {
			if a[1] == "drop" {
				return tx.DeleteBucket([]byte(a[2]))
			}
			_, err := tx.CreateBucket([]byte(a[2]))
			return err
		})
	case cmd == "format" && len(a) == 2:
		err = helperTx(a[0], func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte(a[1])) })
	case cmd == "exit" && len(a) >= 1:
		want := num(a[0])
		if got := run(a[1:], newEnv()); got != want {
			return fail(fmt.Errorf("casenode %v exited with %d, want %d", a[1:], got, want))
		}
		return 0
	default:
		return fail(fmt.Errorf("bad helper command line %q", args))
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// helperWrite writes n entries to the log db of the agency in idDir: a
// peer's card, then sealed messages both ways, receipts, rejections,
// accesses and configuration changes; with fresh, into a new log, with a
// checkpoint every 10.
func helperWrite(idDir, db string, n int, fresh bool) error {
	now := time.Now()
	me, err := identity.Load(idDir, nil)
	if errors.Is(err, fs.ErrNotExist) {
		if me, err = identity.Generate("wacap", filepath.Base(idDir), "Agency "+filepath.Base(idDir), "SN", protocol.KindClassic, now); err != nil {
			return err
		}
		err = me.Save(idDir, nil)
	}
	if err != nil {
		return err
	}
	if fresh {
		if _, err := os.Stat(db); err == nil {
			return fmt.Errorf("%s exists", db)
		}
	}
	peer, err := identity.Generate("wacap", "gh-ag-accra", "Office of the Attorney-General", "GH", protocol.KindClassic, now)
	if err != nil {
		return err
	}
	l, err := auditlog.Open(db, auditlog.Options{Card: me.Card, Key: me.Signing})
	if err != nil {
		return err
	}
	ctx := context.Background()
	card, err := peer.Card.Marshal()
	if err != nil {
		return err
	}
	if _, err := l.Append(ctx, auditlog.Entry{Type: auditlog.TypeKey, Actor: peer.Agency(), Payload: card}); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		e, err := helperEntry(i, me, peer)
		if err != nil {
			return err
		}
		if _, err := l.Append(ctx, e); err != nil {
			return err
		}
		if fresh && (i+1)%10 == 0 {
			if _, err := l.Checkpoint(); err != nil {
				return err
			}
		}
	}
	return l.Close()
}

// helperEntry returns entry i of the helper's stream.
func helperEntry(i int, me, peer *identity.Identity) (auditlog.Entry, error) {
	caseID := fmt.Sprintf("case-%d", i/6)
	switch i % 6 {
	case 0:
		s, err := seal.Seal(me, []*protocol.MemberCard{peer.Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{Case: caseID})
		if err != nil {
			return auditlog.Entry{}, err
		}
		return auditlog.Entry{Type: auditlog.TypeSent, Actor: "prosecutor-amadou", MessageID: s.Header.ID, Payload: s.Raw}, nil
	case 1:
		s, err := seal.Seal(peer, []*protocol.MemberCard{me.Card}, protocol.TypeReply, protocol.Example(protocol.TypeReply), seal.Options{Case: caseID})
		if err != nil {
			return auditlog.Entry{}, err
		}
		return auditlog.Entry{Type: auditlog.TypeReceived, Actor: peer.Agency(), MessageID: s.Header.ID, Payload: s.Raw}, nil
	case 2:
		now := time.Now()
		r := &protocol.Receipt{Version: protocol.ReceiptVersion, ID: protocol.NewMessageID(now), Network: "wacap", From: peer.Agency(), To: me.Agency(),
			MessageID: protocol.NewMessageID(now), MessageHash: fmt.Sprintf("%064x", i), Kind: protocol.ReceiptDelivered, Time: protocol.NewTime(now)}
		payload, err := r.Marshal()
		if err != nil {
			return auditlog.Entry{}, err
		}
		signed, err := jws.Sign(peer.Signing, protocol.ReceiptJWSType, nil, payload)
		if err != nil {
			return auditlog.Entry{}, err
		}
		return auditlog.Entry{Type: auditlog.TypeReceipt, Actor: peer.Agency(), MessageID: r.MessageID, Payload: signed}, nil
	case 3:
		return auditlog.RejectedEntry(peer.Agency(), "", protocol.ReasonBadSignature, "outer signature of gh-ag-accra does not verify", []byte(fmt.Sprintf("forged message %d", i))), nil
	case 4:
		return auditlog.Entry{Type: auditlog.TypeAccess, Actor: "prosecutor-awa", MessageID: protocol.NewMessageID(time.Now()), Payload: []byte(`{"action":"show","direction":"in"}`)}, nil
	}
	return auditlog.Entry{Type: auditlog.TypeConfig, Actor: me.Agency(), Payload: []byte(fmt.Sprintf(`{"checkpoint_every":%d}`, i))}, nil
}

// helperTamper edits the buckets of a log file directly, as someone with
// the file but without the agency's key could.
func helperTamper(db string, fn func(map[string]*bolt.Bucket) error) error {
	d, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Update(func(tx *bolt.Tx) error {
		b := map[string]*bolt.Bucket{}
		for _, name := range []string{"records", "payloads", "hashes", "checkpoints"} {
			if b[name] = tx.Bucket([]byte(name)); b[name] == nil {
				return fmt.Errorf("no bucket %s", name)
			}
		}
		return fn(b)
	})
}

// deleteFrom deletes every key from n on.
func deleteFrom(b *bolt.Bucket, n int64) error {
	c := b.Cursor()
	for k, _ := c.Seek(itobHelper(n)); k != nil; k, _ = c.Seek(itobHelper(n)) {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func itobHelper(n int64) []byte {
	return []byte{byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// helperTx edits a log file in one bbolt transaction.
func helperTx(db string, fn func(tx *bolt.Tx) error) error {
	d, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Update(fn)
}

// helperForge appends the forgery of issue #13: an "access" record,
// correctly chained after the last one, with its payload and tree hashes
// recomputed, and no checkpoint, since the key is not at hand.
func helperForge(b map[string]*bolt.Bucket) error {
	k, v := b["records"].Cursor().Last()
	last, err := auditlog.DecodeRecord(v)
	if err != nil {
		return err
	}
	if k == nil {
		return errors.New("no record to forge after")
	}
	n := last.Seq + 1
	payload := []byte(`{"action":"show","direction":"in"}`)
	rec := []byte{auditlog.RecordVersion, byte(auditlog.TypeAccess)}
	rec = append(rec, itobHelper(n)...)
	rec = append(rec, itobHelper(last.Time.UnixNano()+1)...)
	prev := last.Hash()
	rec = append(rec, prev[:]...)
	sum := sha256.Sum256(payload)
	rec = append(rec, sum[:]...)
	rec = append(rec, itobHelper(int64(len(payload)))...)
	rec = append(rec, byte(len("prosecutor-awa")))
	rec = append(rec, "prosecutor-awa"...)
	rec = append(rec, 0)
	if _, err := auditlog.DecodeRecord(rec); err != nil {
		return fmt.Errorf("forged record: %w", err)
	}
	if err := b["records"].Put(itobHelper(n), rec); err != nil {
		return err
	}
	if err := b["payloads"].Put(itobHelper(n), payload); err != nil {
		return err
	}
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			copy(out[i][:], b["hashes"].Get(itobHelper(x)))
		}
		return out, nil
	})
	hashes, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(rec), hr)
	if err != nil {
		return err
	}
	for j, h := range hashes {
		if err := b["hashes"].Put(itobHelper(tlog.StoredHashIndex(0, n)+int64(j)), h[:]); err != nil {
			return err
		}
	}
	return nil
}
