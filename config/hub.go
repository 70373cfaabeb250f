package config

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/protocol"
)

// HubFile is the name of a hub's configuration file in its directory.
const HubFile = "hub.json"

// SyncAlways is the Hub.Sync value that makes the hub flush every message to
// disk before acknowledging it.
const SyncAlways = "always"

// Hub is the configuration of a network's hub, H/hub.json.
type Hub struct {
	// Network is the network id the hub serves.
	Network string `json:"network"`
	// Listen is the HOST:PORT clients connect to. Port 0 picks a free port.
	Listen string `json:"listen"`
	// StoreDir holds JetStream's files.
	StoreDir string `json:"store_dir"`
	// MaxPayload is the largest sealed message, in bytes, not counting
	// NATS headers (the hub adds HeaderAllowance for those).
	MaxPayload int64 `json:"max_payload"`
	// DuplicateWindow is how long the hub remembers a message copy's
	// Nats-Msg-Id to drop a sender's resends.
	DuplicateWindow Duration `json:"duplicate_window"`
	// Retention is how long the hub keeps a message, delivered or not. 0
	// keeps messages forever.
	Retention Duration `json:"retention"`
	// Sync is "always" (flush before every acknowledgement) or the interval
	// at which JetStream flushes its files, e.g. "2m".
	Sync string `json:"sync"`
	// RosterValidity is how long a roster the hub signs stays valid.
	RosterValidity Duration `json:"roster_validity"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// Metrics serves the hub's metrics and health endpoints; off unless
	// its listen is set.
	Metrics Metrics `json:"metrics,omitzero"`
	// LogFormat is text (for people, the default) or json (one object
	// per line, for log collectors); both carry the same fields.
	LogFormat string `json:"log_format"`
	// TLS, if set, makes the hub serve TLS.
	TLS HubTLS `json:"tls,omitzero"`
	// MemberLimits bound what each member agency may publish and store.
	MemberLimits MemberLimits `json:"member_limits"`
	// Console is the secretariat's web console; off unless console.listen
	// is set.
	Console Console `json:"console,omitzero"`
	// MemberSilentAfter is how long a member may go without connecting or
	// publishing before the secretariat's console raises an alarm.
	MemberSilentAfter Duration `json:"member_silent_after"`
	// MaxAttachmentSize is the largest attachment the hub takes, in bytes
	// of ciphertext.
	MaxAttachmentSize int64 `json:"max_attachment_size"`
	// Cluster, if set, makes the hub one server of a NATS cluster whose
	// streams have ClusterReplicas copies.
	Cluster HubCluster `json:"cluster,omitzero"`
}

// Defaults of a hub configuration.
const (
	DefaultHubListen      = "127.0.0.1:4222"
	DefaultMaxPayload     = 8 << 20
	DefaultDuplicates     = 24 * time.Hour
	DefaultRetention      = 365 * 24 * time.Hour
	DefaultRosterValidity = 365 * 24 * time.Hour
	// HeaderAllowance is added to MaxPayload for the NATS headers of a
	// message (Nats-Msg-Id, Nats-Expected-Stream, …).
	HeaderAllowance = 16 << 10
	// DefaultMemberSilentAfter is how long a member may be silent before
	// the secretariat's console raises an alarm.
	DefaultMemberSilentAfter = 7 * 24 * time.Hour
)

// DefaultHub returns a hub configuration with every optional field set.
func DefaultHub() *Hub {
	return &Hub{
		Listen:            DefaultHubListen,
		StoreDir:          "jetstream",
		MaxPayload:        DefaultMaxPayload,
		DuplicateWindow:   Duration(DefaultDuplicates),
		Retention:         Duration(DefaultRetention),
		Sync:              SyncAlways,
		RosterValidity:    Duration(DefaultRosterValidity),
		LogLevel:          "info",
		LogFormat:         "text",
		MemberLimits:      DefaultMemberLimits(),
		MemberSilentAfter: Duration(DefaultMemberSilentAfter),
		MaxAttachmentSize: DefaultMaxAttachmentSize,
	}
}

// DefaultMaxAttachmentSize is the default largest attachment: 4 GiB.
const DefaultMaxAttachmentSize = 4 << 30

// ParseHub decodes a hub configuration over the defaults and validates it.
func ParseHub(data []byte) (*Hub, error) {
	h := DefaultHub()
	if err := decode(HubFile, data, h); err != nil {
		return nil, err
	}
	if len(h.Cluster.Routes) == 0 {
		h.Cluster.Routes = nil // as Marshal writes it
	}
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return h, nil
}

// LoadHub reads dir/hub.json. Relative paths in it are made relative to dir.
func LoadHub(dir string) (*Hub, error) {
	path := filepath.Join(dir, HubFile)
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	h, err := ParseHub(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	h.StoreDir = resolve(dir, h.StoreDir)
	h.TLS.resolve(dir)
	h.Console.TLSCertFile = resolve(dir, h.Console.TLSCertFile)
	h.Console.TLSKeyFile = resolve(dir, h.Console.TLSKeyFile)
	return h, nil
}

// Marshal returns the configuration as an indented JSON file.
func (h *Hub) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SyncInterval returns the flush interval, or 0 when Sync is "always".
// Validate guarantees it parses.
func (h *Hub) SyncInterval() time.Duration {
	if h.Sync == SyncAlways {
		return 0
	}
	d, _ := time.ParseDuration(h.Sync)
	return d
}

// Validate checks every field; errors name the field, as in "hub.listen: …".
func (h *Hub) Validate() error {
	if err := protocol.ValidateID("network", h.Network); err != nil {
		return fmt.Errorf("hub.network: %w", err)
	}
	if err := checkListen("hub.listen", h.Listen); err != nil {
		return err
	}
	if err := checkPath("hub.store_dir", h.StoreDir); err != nil {
		return err
	}
	if h.MaxPayload < 64<<10 || h.MaxPayload > 60<<20 {
		return fmt.Errorf("hub.max_payload: %d is out of range: must be between 65536 (64 KiB) and 62914560 (60 MiB); sealed messages need 8388608 (8 MiB)", h.MaxPayload)
	}
	if err := checkRange("hub.duplicate_window", h.DuplicateWindow, time.Minute, 7*24*time.Hour); err != nil {
		return err
	}
	if h.Retention != 0 {
		if err := checkRange("hub.retention", h.Retention, 24*time.Hour, 100*365*24*time.Hour); err != nil {
			return fmt.Errorf("%w (or 0 to keep messages forever)", err)
		}
		if h.Retention < h.DuplicateWindow {
			return fmt.Errorf("hub.retention: %s must not be shorter than duplicate_window %s", h.Retention, h.DuplicateWindow)
		}
	}
	if h.Sync != SyncAlways {
		d, err := time.ParseDuration(h.Sync)
		if err != nil || d < time.Second || d > time.Hour {
			return fmt.Errorf("hub.sync: %q must be \"always\" or a flush interval between 1s and 1h, e.g. \"2m\"", h.Sync)
		}
	}
	if err := checkRange("hub.roster_validity", h.RosterValidity, 24*time.Hour, 10*365*24*time.Hour); err != nil {
		return err
	}
	if err := h.TLS.validate(); err != nil {
		return err
	}
	if err := h.Cluster.validate(); err != nil {
		return err
	}
	if err := h.Metrics.validate("hub"); err != nil {
		return err
	}
	if err := h.MemberLimits.validate(h.MaxPayload); err != nil {
		return err
	}
	if err := checkLogFormat("hub.log_format", h.LogFormat); err != nil {
		return err
	}
	if err := h.Console.validate("hub.console"); err != nil {
		return err
	}
	if len(h.Console.Networks) > 0 {
		return fmt.Errorf("hub.console.networks: only an agency node's console links to other networks: remove it from hub.json")
	}
	if err := checkRange("hub.member_silent_after", h.MemberSilentAfter, time.Hour, 365*24*time.Hour); err != nil {
		return err
	}
	if h.MaxAttachmentSize < 1<<20 || h.MaxAttachmentSize > protocol.MaxAttachmentSize {
		return fmt.Errorf("hub.max_attachment_size: %d is out of range: must be between 1048576 (1 MiB) and %d (1 TiB)", h.MaxAttachmentSize, int64(protocol.MaxAttachmentSize))
	}
	if h.MemberLimits.AttachmentBytes < h.MaxAttachmentSize {
		return fmt.Errorf("hub.member_limits.attachment_bytes: %d is too small: must hold at least one attachment of max_attachment_size (%d bytes)", h.MemberLimits.AttachmentBytes, h.MaxAttachmentSize)
	}
	return checkLogLevel("hub.log_level", h.LogLevel)
}
