package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/durable"
)

// JoinClusterOptions describe another server of a clustered hub.
type JoinClusterOptions struct {
	// ServerName is the new server's name in the cluster, e.g. hub-b.
	ServerName string
	// Listen is the new server's client address; empty keeps the first
	// server's.
	Listen string
	// ClusterListen is where the new server takes routes; empty keeps the
	// first server's.
	ClusterListen string
}

// JoinCluster makes dir the directory of another server of the clustered
// hub whose directory (or a copy of its public files) is from: the same
// hub.json with this server's name and addresses, the secretariat's public
// card, roster.jws, users.json, the witness key and the TLS files. It
// copies no secret of the secretariat's: the new server serves the rosters
// the signing server publishes (startRoster). The hub's witness key, which
// the roster names, and its TLS key, when the hub serves TLS, are copied
// with mode 0600: the servers cosign as one witness, and share the hub
// certificate, which must name every server's host. It refuses a
// directory that already holds a hub.
func JoinCluster(from, dir string, o JoinClusterOptions) (*config.Hub, error) {
	data, err := os.ReadFile(filepath.Join(from, config.HubFile))
	if err != nil {
		return nil, err
	}
	cfg, err := config.ParseHub(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(from, config.HubFile), err)
	}
	if !cfg.Cluster.Enabled() {
		return nil, fmt.Errorf("%s has no cluster section: make the first server with 'casenode hub init --cluster NAME …'", filepath.Join(from, config.HubFile))
	}
	if _, err := os.Stat(filepath.Join(dir, config.HubFile)); err == nil {
		return nil, &ExistsError{Path: filepath.Join(dir, config.HubFile)}
	}
	if o.ServerName == cfg.Cluster.ServerName {
		return nil, fmt.Errorf("server name %q is the first server's: every server needs its own", o.ServerName)
	}
	cfg.Cluster.ServerName = o.ServerName
	if o.Listen != "" {
		cfg.Listen = o.Listen
	}
	if o.ClusterListen != "" {
		cfg.Cluster.Listen = o.ClusterListen
	}
	// Each server has its own store, in its own directory.
	cfg.StoreDir = config.DefaultHub().StoreDir
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, SecretariatDir), 0o700); err != nil {
		return nil, fmt.Errorf("create hub directory: %w", err)
	}
	files := []struct {
		name string
		mode fs.FileMode
	}{
		{filepath.Join(SecretariatDir, identity.CardFile), 0o644},
		{RosterFile, 0o644},
		{UsersFile, 0o644},
	}
	// The witness key, which the roster names: every server answers
	// witness requests (one per request, a queue group) and must cosign
	// with it, or its cosignatures name a witness no node trusts.
	if _, err := os.Stat(filepath.Join(from, WitnessKeyFile)); err == nil {
		files = append(files, struct {
			name string
			mode fs.FileMode
		}{WitnessKeyFile, 0o600})
	}
	for _, f := range []struct {
		name string
		mode fs.FileMode
	}{{cfg.TLS.CertFile, 0o644}, {cfg.TLS.KeyFile, 0o600}, {cfg.TLS.CAFile, 0o644}} {
		if f.name == "" {
			continue
		}
		if filepath.IsAbs(f.name) {
			continue // the same path on this machine
		}
		files = append(files, f)
	}
	for _, f := range files {
		if err := copyFile(filepath.Join(from, f.name), filepath.Join(dir, f.name), f.mode); err != nil {
			return nil, err
		}
	}
	out, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if err := durable.Replace(filepath.Join(dir, config.HubFile), out, 0o644); err != nil {
		return nil, err
	}
	return cfg, nil
}

// copyFile copies src to a new file dst of mode.
func copyFile(src, dst string, mode fs.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copy the first server's files: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := durable.Replace(dst, data, mode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists already", dst)
		}
		return err
	}
	return nil
}
