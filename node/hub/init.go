package hub

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/tlsca"
	"github.com/casenode/casenode/protocol"
)

// InitOptions describe a new hub.
type InitOptions struct {
	// Network is the network id the hub serves.
	Network string
	// Agency is the secretariat's agency id; empty means NETWORK-secretariat.
	Agency string
	// Name and Country go on the secretariat's member card; empty Name
	// means "Secretariat of NETWORK".
	Name, Country string
	// Kind is the kind of age recipient of the whole network.
	Kind protocol.RecipientKind
	// Listen, if set, replaces the default listen address in hub.json.
	Listen string
	// Sync, if set, replaces the default sync policy in hub.json
	// ("always", or a flush interval such as "2m").
	Sync string
	// Passphrase, if set, encrypts the secretariat's secret keys with
	// scrypt of work factor WorkFactor (0: age's default; lower is for
	// tests only).
	Passphrase []byte
	WorkFactor int
	// CredsOut is where the secretariat's own agency credentials go; empty
	// means H/creds/AGENCY.creds.
	CredsOut string
	// TLS, if set, makes a network CA and the hub's certificate (see
	// EnableTLS); its Now is taken from Now. Nil: the hub serves plain TCP.
	TLS *TLSOptions
	// Now is the time of the first roster.
	Now time.Time
	// Cluster, if set, makes the hub the first server of a cluster, the
	// one that signs the roster (see JoinCluster for the others).
	Cluster *config.HubCluster
}

// InitResult tells what Init created.
type InitResult struct {
	// Card is the secretariat's member card, at CardPath. Agencies pin its
	// signing key.
	Card     *protocol.MemberCard
	CardPath string
	// AdminCreds and AgencyCreds are the credentials files of the admin
	// user and of the secretariat as an agency.
	AdminCreds, AgencyCreds string
	// Roster is the first roster, serial 1.
	Roster *SignedRoster
	// TLS is what was made for TLS, or nil. With mutual TLS, AgencyCert and
	// AgencyKey are the secretariat's own client certificate.
	TLS                   *TLSResult
	AgencyCert, AgencyKey string
}

// Init creates a hub directory: the secretariat's identity, the admin user,
// the first roster (the secretariat alone) and hub.json, written last. It
// refuses a directory that already holds a hub.
func Init(dir string, o InitOptions) (*InitResult, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, config.HubFile)); err == nil {
		return nil, &ExistsError{Path: filepath.Join(dir, config.HubFile)}
	}
	cfg, err := o.hubConfig()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, CredsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create hub directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	id, err := identity.Generate(o.Network, o.Agency, o.Name, o.Country, o.Kind, o.Now)
	if err != nil {
		return nil, err
	}
	idDir := filepath.Join(dir, SecretariatDir)
	if err := id.SaveWorkFactor(idDir, o.Passphrase, o.WorkFactor); err != nil {
		return nil, err
	}
	if err := ensureOwnLogIdentity(dir, id.Card, o.Now); err != nil {
		return nil, err
	}
	res := &InitResult{
		Card:       id.Card,
		CardPath:   filepath.Join(idDir, identity.CardFile),
		AdminCreds: filepath.Join(dir, AdminCredsFile),
	}
	res.AgencyCreds = o.CredsOut
	if res.AgencyCreds == "" {
		res.AgencyCreds = filepath.Join(dir, CredsDir, o.Agency+".creds")
	}
	if err := o.writeUsers(dir, res); err != nil {
		return nil, err
	}
	if err := createWitnessKey(dir); err != nil {
		return nil, err
	}
	if res.Roster, err = o.firstRoster(dir, id, cfg); err != nil {
		return nil, err
	}
	if o.TLS != nil {
		if err := o.initTLS(dir, cfg, res); err != nil {
			return nil, err
		}
	}
	cfgData, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	if err := writeExclusive(filepath.Join(dir, config.HubFile), cfgData, 0o644); err != nil {
		return nil, err
	}
	return res, nil
}

// hubConfig returns the hub.json of the options, checked before anything
// is written, TLS options included.
func (o *InitOptions) hubConfig() (*config.Hub, error) {
	cfg := config.DefaultHub()
	cfg.Network = o.Network
	if o.Listen != "" {
		cfg.Listen = o.Listen
	}
	if o.Sync != "" {
		cfg.Sync = o.Sync
	}
	if o.Cluster != nil {
		cfg.Cluster = *o.Cluster
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := cfg.Marshal(); err != nil {
		return nil, err
	}
	if o.TLS != nil {
		if _, err := tlsca.ParseAlgorithm(string(o.TLS.Alg)); err != nil {
			return nil, err
		}
		if _, err := certHosts(cfg.Listen, o.TLS.Hosts); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// writeUsers makes the admin user and the secretariat's own agency user,
// writes their credentials to res.AdminCreds and res.AgencyCreds, and the
// users' public keys to the hub directory.
func (o *InitOptions) writeUsers(dir string, res *InitResult) error {
	users := &userKeys{Version: usersVersion, Agencies: map[string]string{}}
	admin, adminCreds, err := newUser(fmt.Sprintf("casenode admin (read-only monitoring) of the hub of network %s", o.Network))
	if err != nil {
		return err
	}
	if err := writeExclusive(res.AdminCreds, adminCreds, 0o600); err != nil {
		return err
	}
	users.Admin = admin
	pub, creds, err := newUser(agencyComment(o.Network, o.Agency, o.Now))
	if err != nil {
		return err
	}
	if err := writeExclusive(res.AgencyCreds, creds, 0o600); err != nil {
		return err
	}
	users.Agencies[o.Agency] = pub
	return users.save(dir)
}

// firstRoster signs and stores roster serial 1: the secretariat alone.
func (o *InitOptions) firstRoster(dir string, id *identity.Identity, cfg *config.Hub) (*SignedRoster, error) {
	now := protocol.NewTime(o.Now)
	r := &protocol.Roster{
		Version:     protocol.RosterVersion,
		Network:     o.Network,
		Serial:      1,
		Kind:        o.Kind,
		Issued:      now,
		Expires:     protocol.NewTime(o.Now.Add(time.Duration(cfg.RosterValidity))),
		Secretariat: o.Agency,
		Members:     []protocol.RosterMember{{Card: *id.Card, Status: protocol.StatusActive, Since: now}},
	}
	wk, _, err := loadWitnessKey(dir, o.Network, false)
	if err != nil {
		return nil, err
	}
	r.Witnesses = []string{wk.VerifierKey()}
	sr, err := SignRoster(id.Signing, r)
	if err != nil {
		return nil, err
	}
	if err := storeRoster(dir, sr); err != nil {
		return nil, err
	}
	return sr, nil
}

// initTLS makes the network CA and the hub's certificate into cfg and, with
// mutual TLS, the secretariat's own client certificate.
func (o *InitOptions) initTLS(dir string, cfg *config.Hub, res *InitResult) error {
	t := *o.TLS
	t.Now = o.Now
	var err error
	if res.TLS, err = enableTLS(dir, cfg, t); err != nil {
		return err
	}
	if !t.VerifyClients {
		return nil
	}
	ca, err := loadCA(dir)
	if err != nil {
		return err
	}
	res.AgencyCert, res.AgencyKey = ClientCertPaths(res.AgencyCreds)
	_, err = issueClient(ca, o.Agency, res.AgencyCert, res.AgencyKey, ca.Algorithm(), o.Now)
	return err
}

// fill checks the options and supplies the defaults.
func (o *InitOptions) fill() error {
	if err := protocol.ValidateID("network", o.Network); err != nil {
		return err
	}
	if o.Agency == "" {
		o.Agency = o.Network + "-secretariat"
	}
	if err := protocol.ValidateID("agency", o.Agency); err != nil {
		return err
	}
	if o.Name == "" {
		o.Name = "Secretariat of " + o.Network
	}
	if err := protocol.ValidateCountry(o.Country); err != nil {
		return err
	}
	if o.Kind == "" {
		o.Kind = protocol.KindHybrid
	}
	if o.Now.IsZero() {
		return errors.New("init hub: no time given")
	}
	return nil
}
