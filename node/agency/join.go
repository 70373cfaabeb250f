package agency

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
	"github.com/go-jose/go-jose/v4"
)

// Names Join gives, in the node directory, to the files it copies there.
const (
	JoinCAFile      = "ca.crt"     // the network CA certificate
	JoinTLSCertFile = "client.crt" // the agency's client certificate
	JoinTLSKeyFile  = "client.key" // its key
	JoinTokenFile   = "api.token"  // the TCP API's token, with APIListen
)

// JoinOptions are what an agency received from its network's secretariat
// to join it: the hub, the files handed over, the secretariat's key.
type JoinOptions struct {
	// HubURLs are the hub's URLs.
	HubURLs []string
	// SecretariatKey is the secretariat's public signing key, pinned in
	// node.json: rosters are verified with it and nothing else.
	SecretariatKey *jose.JSONWebKey
	// Creds is the credentials file handed over (required).
	Creds string
	// CA is the network CA certificate, for a TLS hub; TLSCert and TLSKey
	// the agency's client certificate and key, with mutual TLS (both or
	// neither).
	CA, TLSCert, TLSKey string
	// APIListen, if set, also serves the local API on this loopback
	// HOST:PORT, with a bearer token in JoinTokenFile.
	APIListen string
	// ResendTimeout, if set, replaces the default resend timeout.
	ResendTimeout time.Duration
	// Force replaces an existing node.json (and handed-over files with
	// other content), keeping each old file as FILE.bak-TIME.
	Force bool
	// Now is the time of the backups' names.
	Now time.Time
}

// Joined is what Join wrote.
type Joined struct {
	// Card is the agency's member card, from the directory.
	Card *protocol.MemberCard
	// Config is the node.json written, with paths relative to the
	// directory.
	Config *config.Node
	// NodeFile is the path of node.json.
	NodeFile string
	// Backups are the files Force moved aside.
	Backups []string
}

// HandOverError is a file handed over that Join could not take. Item
// names it: "creds", "ca", "tls-cert" or "tls-key".
type HandOverError struct {
	Item string
	Path string
	Err  error
}

func (e *HandOverError) Error() string { return fmt.Sprintf("%s %s: %v", e.Item, e.Path, e.Err) }
func (e *HandOverError) Unwrap() error { return e.Err }

// ErrJoined is returned, wrapped, by Join when the directory already holds
// a node.json and Force is not set.
var ErrJoined = errors.New("already joined")

// Join makes the agency directory dir, which 'casenode init' created, a
// node of its network: it copies the files handed over into dir under
// fixed names (mode 0600) and writes node.json, durably. It is what
// 'casenode join' does.
func Join(dir string, o JoinOptions) (*Joined, error) {
	card, err := identity.LoadCard(filepath.Join(dir, identity.CardFile))
	if err != nil {
		return nil, err
	}
	j := &Joined{Card: card, NodeFile: filepath.Join(dir, config.NodeFile)}
	if _, err := os.Stat(j.NodeFile); err == nil && !o.Force {
		return nil, fmt.Errorf("%s already exists: agency %s has joined: %w", j.NodeFile, card.Agency, ErrJoined)
	}
	cfg := config.DefaultNode()
	cfg.Network, cfg.Agency, cfg.HubURLs, cfg.SecretariatKey = card.Network, card.Agency, o.HubURLs, o.SecretariatKey
	if o.ResendTimeout > 0 {
		cfg.ResendTimeout = config.Duration(o.ResendTimeout)
	}
	if o.APIListen != "" {
		cfg.API.Listen, cfg.API.TokenFile = o.APIListen, JoinTokenFile
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("give both the client certificate and its key, or neither")
	}
	copies := []struct{ item, src, dst string }{{"creds", o.Creds, cfg.CredsFile}}
	if o.CA != "" {
		cfg.CAFile = JoinCAFile
		copies = append(copies, struct{ item, src, dst string }{"ca", o.CA, JoinCAFile})
	}
	if o.TLSCert != "" {
		cfg.TLSCertFile, cfg.TLSKeyFile = JoinTLSCertFile, JoinTLSKeyFile
		copies = append(copies, struct{ item, src, dst string }{"tls-cert", o.TLSCert, JoinTLSCertFile},
			struct{ item, src, dst string }{"tls-key", o.TLSKey, JoinTLSKeyFile})
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	for _, c := range copies {
		if err := j.takeHandedOver(c.item, c.src, filepath.Join(dir, c.dst), o); err != nil {
			return nil, err
		}
	}
	if o.Force {
		if err := j.backUp(j.NodeFile, o.Now); err != nil {
			return nil, err
		}
	}
	if err := durable.WriteNew(j.NodeFile, data, 0o600); err != nil {
		return nil, err
	}
	j.Config = cfg
	return j, nil
}

// takeHandedOver copies a file the secretariat handed over into the node
// directory with mode 0600, checking that credentials look like
// credentials. It leaves an identical copy alone and refuses to replace
// another, unless o.Force.
func (j *Joined) takeHandedOver(item, src, dst string, o JoinOptions) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return &HandOverError{Item: item, Path: src, Err: err}
	}
	if item == "creds" && !bytes.Contains(data, []byte("BEGIN USER NKEY SEED")) {
		return &HandOverError{Item: item, Path: src, Err: errors.New("not a credentials file (no NKey seed in it)")}
	}
	if abs1, _ := filepath.Abs(src); abs1 != "" {
		if abs2, _ := filepath.Abs(dst); abs1 == abs2 {
			return os.Chmod(dst, 0o600)
		}
	}
	old, err := os.ReadFile(dst)
	switch {
	case err == nil && bytes.Equal(old, data):
		return os.Chmod(dst, 0o600)
	case err == nil && !o.Force:
		return &HandOverError{Item: item, Path: src, Err: fmt.Errorf("%s exists with other content: %w", dst, fs.ErrExist)}
	case err == nil:
		if err := j.backUp(dst, o.Now); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return durable.WriteNew(dst, data, 0o600)
}

// backUp moves path, if it exists, to path.bak-TIME.
func (j *Joined) backUp(path string, now time.Time) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	bak := path + ".bak-" + now.UTC().Format("20060102T150405Z")
	if _, err := os.Stat(bak); err == nil {
		return fmt.Errorf("back up %s: %s exists", path, bak)
	}
	if err := os.Rename(path, bak); err != nil {
		return fmt.Errorf("back up %s: %w", path, err)
	}
	j.Backups = append(j.Backups, bak)
	return nil
}
