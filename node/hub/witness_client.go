package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ConnectAdmin connects to a running hub at url as its read-only admin
// user, with the admin credentials file creds; caFile, if set, is the
// network CA certificate for a tls:// URL.
func ConnectAdmin(url, creds, caFile string) (*nats.Conn, error) {
	seed, err := nats.NkeyOptionFromSeed(creds)
	if err != nil {
		return nil, fmt.Errorf("admin credentials: %w", err)
	}
	opts := []nats.Option{seed, nats.Name("casenode admin"), nats.MaxReconnects(0)}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("network CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("network CA %s: no PEM certificate", caFile)
		}
		opts = append(opts, nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to the hub at %s: %w", url, err)
	}
	return nc, nil
}

// ConnectAdminDir connects, as ConnectAdmin, to the hub of the hub
// directory dir running at url (empty: hub.json's listen address on this
// machine), with the directory's admin credentials and network CA.
func ConnectAdminDir(dir, url string) (*nats.Conn, *config.Hub, error) {
	cfg, err := config.LoadHub(dir)
	if err != nil {
		return nil, nil, err
	}
	if url == "" {
		scheme := "nats://"
		if cfg.TLS.Enabled() {
			scheme = "tls://"
		}
		url = scheme + localAddr(cfg.Listen)
	}
	nc, err := ConnectAdmin(url, filepath.Join(dir, AdminCredsFile), cfg.TLS.CAFile)
	if err != nil {
		return nil, nil, err
	}
	return nc, cfg, nil
}

// FetchWitnessCheckpoint reads, over an admin connection, the latest
// checkpoint of agency's log that the hub's witness cosigned, with its
// cosignature; nil if the witness never cosigned that log.
func FetchWitnessCheckpoint(ctx context.Context, nc *nats.Conn, network, agency string) ([]byte, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, protocol.WitnessBucket(network))
	if err != nil {
		return nil, fmt.Errorf("the hub's witness bucket: %w", err)
	}
	return readWitnessCheckpoint(ctx, kv, agency)
}

// localAddr is the address on this machine of a hub listening on listen.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// FetchWitnessAlarms reads, over an admin connection, the forks and
// rollbacks the hub's witness refused, oldest first.
func FetchWitnessAlarms(ctx context.Context, nc *nats.Conn, network string) ([]WitnessAlarm, error) {
	var out []WitnessAlarm
	err := readBucket(ctx, nc, protocol.WitnessAlarmBucket(network), ">", func(data []byte) error {
		var a WitnessAlarm
		if err := protocol.DecodeStrict("witness alarm", data, maxWitnessAlarm, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read witness alarms: %w", err)
	}
	slices.SortFunc(out, func(a, b WitnessAlarm) int { return a.Detected.Compare(b.Detected) })
	return out, nil
}

// FetchWitnessResets reads, over an admin connection, the resets of the
// witness's state of agency's log that the secretariat ordered, oldest
// first.
func FetchWitnessResets(ctx context.Context, nc *nats.Conn, network, agency string) ([]WitnessResetEvent, error) {
	if err := protocol.ValidateID("agency", agency); err != nil {
		return nil, err
	}
	var out []WitnessResetEvent
	err := readBucket(ctx, nc, protocol.WitnessResetBucket(network), agency+".*", func(data []byte) error {
		var ev WitnessResetEvent
		if err := protocol.DecodeStrict("witness reset", data, maxWitnessResetEvent, &ev); err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read witness resets: %w", err)
	}
	slices.SortFunc(out, func(a, b WitnessResetEvent) int { return a.Applied.Compare(b.Applied) })
	return out, nil
}

// readBucket calls fn with the value of every key of a bucket under filter
// (a subject filter on the keys), reading the bucket's stream message by
// message as the admin's permissions allow (no direct gets, no consumers).
func readBucket(ctx context.Context, nc *nats.Conn, bucket, filter string, fn func([]byte) error) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	stream, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return fmt.Errorf("the hub's bucket %s: %w", bucket, err)
	}
	for seq := uint64(1); ; {
		m, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject("$KV."+bucket+"."+filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		seq = m.Sequence + 1
		if len(m.Data) == 0 {
			continue // a deleted key
		}
		if err := fn(m.Data); err != nil {
			return err
		}
	}
}
