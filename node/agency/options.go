package agency

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/casenode/casenode/crypto/identity"
)

// Options adjust how a node runs. The zero value is the configuration
// file's settings and the defaults below. Passphrase, Logger and Now are
// what the process supplies; the other fields are tuning knobs that only
// tests, node/lab/localnet and the bench set, to make a network on one
// machine react in milliseconds. A deployed node is configured by node.json
// alone: 'casenode run' sets none of the knobs.
type Options struct {
	// Passphrase supplies the passphrase of encrypted key files.
	Passphrase identity.PassphraseFunc
	// Logger receives the node's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Workers is how many goroutines verify and decrypt incoming messages;
	// zero means GOMAXPROCS.
	Workers int
	// MaxInFlight bounds the publications awaiting the hub's
	// acknowledgement; zero means DefaultMaxInFlight.
	MaxInFlight int
	// ReceiptTimeout is how long a copy the hub relayed waits for its
	// delivered receipt before it is published again (with the same
	// Nats-Msg-Id); it doubles with each attempt up to MaxReceiptTimeout.
	// Zero means DefaultReceiptTimeout.
	ReceiptTimeout time.Duration
	// ReconnectWait is the first delay between two connection attempts;
	// it doubles up to MaxReconnectWait, with up to a quarter more of
	// jitter. Zero means the defaults: a node is back within about
	// MaxReconnectWait of the hub listening again, however long it was
	// away.
	ReconnectWait, MaxReconnectWait time.Duration
	// LockTimeout is how long Open waits for another process's lock on
	// the node's files; zero means the store's default.
	LockTimeout time.Duration
	// RosterInterval is how often the node reads the roster; zero means
	// DefaultRosterInterval.
	RosterInterval time.Duration
	// StallAfter is how long the hub may stay silent on a connection that
	// is still open before the node calls the link stalled: it checks the
	// hub answers (a NATS PING) every ninth of it, and while stalled it
	// publishes nothing. Zero means DefaultStallAfter.
	StallAfter time.Duration
	// FormatVersion is the sealed message format the node sends; zero
	// means the current one (protocol.FormatVersion). Every node reads
	// both; version 1 is for measurements and tests of old senders.
	FormatVersion int
	// ObserveCommit, if set, is told how long each commit of a batch took,
	// from the store's transaction to the audit log's records being
	// durable: kind is "send" or "receive". The node's metrics set it.
	ObserveCommit func(kind string, d time.Duration)
	// WitnessInterval is the least time between two checkpoints of the
	// audit log the node has cosigned by the hub's witness, and the first
	// delay after a failed request (it doubles up to MaxWitnessWait).
	// Zero means DefaultWitnessInterval.
	WitnessInterval time.Duration
}

// Defaults of Options.
const (
	DefaultMaxInFlight      = 256
	DefaultReceiptTimeout   = 15 * time.Minute
	MaxReceiptTimeout       = 12 * time.Hour // under the hub's 24h duplicate window
	DefaultReconnectWait    = 250 * time.Millisecond
	DefaultMaxReconnectWait = 2 * time.Second
	DefaultRosterInterval   = 60 * time.Second
	DefaultStallAfter       = 45 * time.Second
	// stallPingsOut is how many of the NATS client's own pings (one per
	// third of StallAfter) may go unanswered before it drops a stalled
	// connection and connects again: a stall is declared first, the
	// connection dropped after 8 × StallAfter/3.
	stallPingsOut = 8
)

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.ReceiptTimeout <= 0 {
		o.ReceiptTimeout = DefaultReceiptTimeout
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = DefaultReconnectWait
	}
	if o.MaxReconnectWait <= 0 {
		o.MaxReconnectWait = DefaultMaxReconnectWait
	}
	if o.RosterInterval <= 0 {
		o.RosterInterval = DefaultRosterInterval
	}
	if o.StallAfter <= 0 {
		o.StallAfter = DefaultStallAfter
	}
	if o.WitnessInterval <= 0 {
		o.WitnessInterval = DefaultWitnessInterval
	}
}
