package config

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// NodeFile is the name of an agency node's configuration file in its
// directory.
const NodeFile = "node.json"

// Node is the configuration of an agency's node, DIR/node.json.
type Node struct {
	// Network and Agency are the node's network and its own agency id.
	Network string `json:"network"`
	Agency  string `json:"agency"`
	// HubURLs are the hub's nats:// (or tls://) URLs, tried in turn.
	HubURLs []string `json:"hub_urls"`
	// CredsFile is the NKey credentials file the secretariat handed over.
	CredsFile string `json:"creds_file"`
	// SecretariatKey is the pinned public signing key of the network's
	// secretariat, the signing_key of its member card. Rosters are verified
	// with it and nothing else.
	SecretariatKey *jose.JSONWebKey `json:"secretariat_key"`
	// CAFile, if set, holds the CA certificates that sign the hub's TLS
	// certificate.
	CAFile string `json:"ca_file,omitempty"`
	// TLSCertFile and TLSKeyFile are the node's client certificate and key,
	// for a hub that verifies its clients (mutual TLS).
	TLSCertFile string `json:"tls_cert_file,omitempty"`
	TLSKeyFile  string `json:"tls_key_file,omitempty"`
	// API is where the node serves its local API.
	API API `json:"api"`
	// Console is the web console for the agency's people; off unless
	// console.listen is set.
	Console Console `json:"console,omitzero"`
	// Metrics serves the node's metrics and health endpoints; off unless
	// its listen is set.
	Metrics Metrics `json:"metrics,omitzero"`
	// ResendTimeout is how long the node waits for the hub's acknowledgement
	// of a publication. A late one is published again only once the
	// connection that carried it is gone (while it is open the first copy
	// may still be crossing a slow link). It must stay well under the
	// hub's duplicate_window (24h by default).
	ResendTimeout Duration `json:"resend_timeout"`
	// MaxClockSkew is how far in the future a message's creation time may
	// lie.
	MaxClockSkew Duration `json:"max_clock_skew"`
	// MaxMessageAge is the acceptance window: a message created longer
	// than this before the hub stored it is rejected as too-old. Messages
	// waiting at the hub while the node is down are judged at the time the
	// hub stored them, so an outage loses nothing.
	MaxMessageAge Duration `json:"max_message_age"`
	// CheckpointEvery and CheckpointInterval are obsolete: every commit of
	// the audit log signs a checkpoint of all its records (docs/AUDIT.md),
	// so there is no cadence to set. A node.json written before still
	// holds them; they are accepted and ignored.
	CheckpointEvery    int      `json:"checkpoint_every,omitempty"`
	CheckpointInterval Duration `json:"checkpoint_interval,omitzero"`
	// RejectionsKeptPerHour bounds the rejected inputs of one publisher
	// whose bytes the audit log keeps in full each hour; beyond it, a
	// rejection keeps the input's hash and size only, so that a member's
	// flood of garbage is recorded without growing the log without bound.
	RejectionsKeptPerHour int `json:"rejections_kept_per_hour"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// LogFormat is text (for people, the default) or json (one object
	// per line, for log collectors); both carry the same fields.
	LogFormat string `json:"log_format"`
	// AttachmentAutoFetch is the largest attachment, in bytes, the node
	// fetches as soon as its message arrives; larger ones wait for
	// 'casenode attachment get' (0: every attachment waits).
	AttachmentAutoFetch int64 `json:"attachment_auto_fetch"`
	// Witness says which member agencies witness this node's audit log
	// besides the hub (docs/AUDIT.md, "Peer witnesses").
	Witness Witness `json:"witness,omitzero"`
}

// MaxWitnessPeers bounds witness.peers.
const MaxWitnessPeers = 8

// Witness is the witnessing of the node's audit log by peer agencies.
type Witness struct {
	// Peers are the agency ids of the members asked to cosign each new
	// checkpoint of the log, as the hub's witness does. Every node answers
	// such requests of the other active members, configured or not.
	Peers []string `json:"peers,omitempty"`
}

// validate checks the peers: valid ids, at most MaxWitnessPeers, none
// twice, not the agency itself.
func (w *Witness) validate(self string) error {
	if len(w.Peers) > MaxWitnessPeers {
		return fmt.Errorf("node.witness.peers: %d agencies, over the limit of %d", len(w.Peers), MaxWitnessPeers)
	}
	seen := map[string]bool{}
	for i, p := range w.Peers {
		if err := protocol.ValidateID("agency", p); err != nil {
			return fmt.Errorf("node.witness.peers[%d]: %w", i, err)
		}
		if p == self {
			return fmt.Errorf("node.witness.peers[%d]: %q is this agency: a log is not witnessed by its own agency", i, p)
		}
		if seen[p] {
			return fmt.Errorf("node.witness.peers[%d]: %q is listed twice", i, p)
		}
		seen[p] = true
	}
	return nil
}

// API is the node's local API endpoint.
type API struct {
	// Socket is the Unix socket path of the API; access is controlled by the
	// file's permissions.
	Socket string `json:"socket"`
	// Listen, if set, is an additional TCP HOST:PORT for the API, which then
	// requires the bearer token in TokenFile.
	Listen    string `json:"listen,omitempty"`
	TokenFile string `json:"token_file,omitempty"`
}

// Defaults of a node configuration.
const (
	DefaultCredsFile     = "hub.creds"
	DefaultAPISocket     = "api.sock"
	DefaultResendTimeout = 30 * time.Second
	DefaultMaxClockSkew  = 5 * time.Minute
	DefaultMaxMessageAge = 30 * 24 * time.Hour
	// DefaultAttachmentAutoFetch: attachments up to 1 GiB come with their
	// message.
	DefaultAttachmentAutoFetch = 1 << 30
	// DefaultRejectionsKeptPerHour keeps every rejection of a peer whose
	// software misbehaves, and at most 100 × 64 KiB an hour of a flood.
	DefaultRejectionsKeptPerHour = 100
)

// DefaultNode returns a node configuration with every optional field set.
func DefaultNode() *Node {
	return &Node{
		CredsFile:             DefaultCredsFile,
		API:                   API{Socket: DefaultAPISocket},
		ResendTimeout:         Duration(DefaultResendTimeout),
		MaxClockSkew:          Duration(DefaultMaxClockSkew),
		MaxMessageAge:         Duration(DefaultMaxMessageAge),
		AttachmentAutoFetch:   DefaultAttachmentAutoFetch,
		RejectionsKeptPerHour: DefaultRejectionsKeptPerHour,
		LogLevel:              "info",
		LogFormat:             "text",
	}
}

// ParseNode decodes a node configuration over the defaults and validates
// it.
func ParseNode(data []byte) (*Node, error) {
	n := DefaultNode()
	if err := decode(NodeFile, data, n); err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return n, nil
}

// LoadNode reads dir/node.json. Relative paths in it are made relative to
// dir.
func LoadNode(dir string) (*Node, error) {
	path := filepath.Join(dir, NodeFile)
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	n, err := ParseNode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n.CredsFile = resolve(dir, n.CredsFile)
	n.CAFile = resolve(dir, n.CAFile)
	n.TLSCertFile = resolve(dir, n.TLSCertFile)
	n.TLSKeyFile = resolve(dir, n.TLSKeyFile)
	n.API.Socket = resolve(dir, n.API.Socket)
	n.API.TokenFile = resolve(dir, n.API.TokenFile)
	n.Console.TLSCertFile = resolve(dir, n.Console.TLSCertFile)
	n.Console.TLSKeyFile = resolve(dir, n.Console.TLSKeyFile)
	for i := range n.Console.Networks {
		if s := n.Console.Networks[i].Socket; s != "" {
			n.Console.Networks[i].Socket = resolve(dir, s)
		}
	}
	return n, nil
}

// Marshal returns the configuration as an indented JSON file.
func (n *Node) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SecretariatPublicKey returns the pinned key. Validate guarantees it.
func (n *Node) SecretariatPublicKey() ed25519.PublicKey {
	pub, _ := n.SecretariatKey.Key.(ed25519.PublicKey)
	return pub
}

// Validate checks every field; errors name the field, as in
// "node.hub_urls[0]: …".
func (n *Node) Validate() error {
	if err := protocol.ValidateID("network", n.Network); err != nil {
		return fmt.Errorf("node.network: %w", err)
	}
	if err := protocol.ValidateID("agency", n.Agency); err != nil {
		return fmt.Errorf("node.agency: %w", err)
	}
	if len(n.HubURLs) == 0 {
		return fmt.Errorf("node.hub_urls: must list at least one URL, e.g. [\"nats://hub.example.org:4222\"]")
	}
	for i, u := range n.HubURLs {
		if err := checkHubURL(u); err != nil {
			return fmt.Errorf("node.hub_urls[%d]: %w", i, err)
		}
	}
	if err := checkPath("node.creds_file", n.CredsFile); err != nil {
		return err
	}
	if err := checkSecretariatKey(n.SecretariatKey); err != nil {
		return err
	}
	if err := checkNodeTLS(n); err != nil {
		return err
	}
	if err := checkPath("node.api.socket", n.API.Socket); err != nil {
		return err
	}
	if n.API.Listen != "" {
		if err := checkListen("node.api.listen", n.API.Listen); err != nil {
			return err
		}
		if err := checkPath("node.api.token_file", n.API.TokenFile); err != nil {
			return fmt.Errorf("%w when api.listen is set", err)
		}
	}
	if err := n.Metrics.validate("node"); err != nil {
		return err
	}
	if err := n.Console.validate("node.console"); err != nil {
		return err
	}
	if err := n.Console.validateNetworks("node.console", n.Network); err != nil {
		return err
	}
	if err := checkRange("node.resend_timeout", n.ResendTimeout, time.Second, time.Hour); err != nil {
		return err
	}
	if err := checkRange("node.max_clock_skew", n.MaxClockSkew, 0, time.Hour); err != nil {
		return err
	}
	if n.AttachmentAutoFetch < 0 || n.AttachmentAutoFetch > protocol.MaxAttachmentSize {
		return fmt.Errorf("node.attachment_auto_fetch: %d is out of range: must be between 0 and %d", n.AttachmentAutoFetch, int64(protocol.MaxAttachmentSize))
	}
	if err := checkRange("node.max_message_age", n.MaxMessageAge, time.Hour, 366*24*time.Hour); err != nil {
		return err
	}
	if n.RejectionsKeptPerHour < 0 || n.RejectionsKeptPerHour > 1_000_000 {
		return fmt.Errorf("node.rejections_kept_per_hour: %d is out of range: must be between 0 and 1000000", n.RejectionsKeptPerHour)
	}
	if err := checkLogFormat("node.log_format", n.LogFormat); err != nil {
		return err
	}
	if err := n.Witness.validate(n.Agency); err != nil {
		return err
	}
	return checkLogLevel("node.log_level", n.LogLevel)
}

// checkSecretariatKey checks the pinned key: a public Ed25519 JWK named by
// its thumbprint.
func checkSecretariatKey(k *jose.JSONWebKey) error {
	const fix = "copy signing_key from the secretariat's member.json"
	if k == nil {
		return fmt.Errorf("node.secretariat_key: must be set: %s", fix)
	}
	pub, ok := k.Key.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("node.secretariat_key: must be a public Ed25519 JWK (kty OKP, crv Ed25519): %s", fix)
	}
	if want := protocol.KeyID(pub); k.KeyID != want {
		return fmt.Errorf("node.secretariat_key.kid: %q is not the key's RFC 7638 thumbprint %q", k.KeyID, want)
	}
	return nil
}
