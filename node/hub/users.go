package hub

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nkeys"
)

// userKeys is users.json: the NKey public key ("U…") of each agency's NATS
// user and of the admin user. The seeds are not kept: only their holders
// have them. An agency's user is enabled only while the agency is active in
// the roster in force.
type userKeys struct {
	Version  int
	Admin    string
	Agencies map[string]string // agency id → public key
}

// usersFile is the encoding of userKeys, agencies sorted by id.
type usersFile struct {
	Version  int         `json:"v"`
	Admin    string      `json:"admin"`
	Agencies []agencyKey `json:"agencies"`
}

type agencyKey struct {
	Agency string `json:"agency"`
	NKey   string `json:"nkey"`
}

const usersVersion = 1

func loadUsers(dir string) (*userKeys, error) {
	path := filepath.Join(dir, UsersFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f usersFile
	if err := protocol.DecodeStrict(path, data, 1<<20, &f); err != nil {
		return nil, err
	}
	u := &userKeys{Version: f.Version, Admin: f.Admin, Agencies: make(map[string]string, len(f.Agencies))}
	for _, a := range f.Agencies {
		if _, dup := u.Agencies[a.Agency]; dup {
			return nil, fmt.Errorf("%s: users.agencies: %q is listed twice", path, a.Agency)
		}
		u.Agencies[a.Agency] = a.NKey
	}
	if err := u.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

func (u *userKeys) validate() error {
	if u.Version != usersVersion {
		return fmt.Errorf("users.v: unsupported version %d", u.Version)
	}
	if !nkeys.IsValidPublicUserKey(u.Admin) {
		return fmt.Errorf("users.admin: %q is not an NKey user public key", u.Admin)
	}
	seen := map[string]string{u.Admin: "the admin user"}
	for _, agency := range slices.Sorted(maps.Keys(u.Agencies)) {
		key := u.Agencies[agency]
		if err := protocol.ValidateID("agency", agency); err != nil {
			return fmt.Errorf("users.agencies: %w", err)
		}
		if !nkeys.IsValidPublicUserKey(key) {
			return fmt.Errorf("users.agencies: %s: %q is not an NKey user public key", agency, key)
		}
		if other, dup := seen[key]; dup {
			return fmt.Errorf("users.agencies: %s has the same key as %s", agency, other)
		}
		seen[key] = agency
	}
	return nil
}

func (u *userKeys) save(dir string) error {
	f := usersFile{Version: u.Version, Admin: u.Admin, Agencies: []agencyKey{}}
	for _, agency := range slices.Sorted(maps.Keys(u.Agencies)) {
		f.Agencies = append(f.Agencies, agencyKey{Agency: agency, NKey: u.Agencies[agency]})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return durable.Replace(filepath.Join(dir, UsersFile), append(data, '\n'), 0o644)
}

// clone returns a deep copy, to change without touching the original.
func (u *userKeys) clone() *userKeys {
	c := &userKeys{Version: u.Version, Admin: u.Admin, Agencies: make(map[string]string, len(u.Agencies))}
	for a, k := range u.Agencies {
		c.Agencies[a] = k
	}
	return c
}
