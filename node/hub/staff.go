package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/crypto/bcrypt"
)

// StaffFile holds the accounts of the secretariat's console, in the hub
// directory, mode 0600: names, roles and bcrypt hashes.
const StaffFile = "console-users.json"

// maxStaffFile bounds StaffFile.
const maxStaffFile = 1 << 20

// StaffRole is what a console account of the hub may do.
type StaffRole string

// The roles of the secretariat's console.
const (
	// RoleSecretariat sees everything and admits, rotates, revokes and
	// renews, with the secretariat key's passphrase for each signing.
	RoleSecretariat StaffRole = "secretariat"
	// RoleObserver sees everything and changes nothing.
	RoleObserver StaffRole = "observer"
)

// Password length bounds, in bytes: bcrypt reads at most 72.
const (
	MinStaffPassword = 10
	MaxStaffPassword = 72
	// staffBcryptCost is bcrypt's work factor: 2^10 rounds, as for the
	// agencies' console accounts.
	staffBcryptCost = 10
)

// ErrBadStaffCredentials is what AuthenticateStaff returns for an unknown
// account, a wrong password and a disabled account alike.
var ErrBadStaffCredentials = errors.New("wrong account name or password")

// Staff is one account of the secretariat's console, without its hash.
type Staff struct {
	Name     string     `json:"name"`
	Role     StaffRole  `json:"role"`
	Created  time.Time  `json:"created"`
	Disabled *time.Time `json:"disabled,omitempty"`
}

// staffRecord is an account as StaffFile stores it.
type staffRecord struct {
	Staff
	Hash string `json:"hash"`
}

// staffFile is StaffFile's content.
type staffFile struct {
	Version  int           `json:"v"`
	Accounts []staffRecord `json:"accounts"`
}

// parseStaff decodes StaffFile strictly, with a size limit, and checks
// every account.
func parseStaff(data []byte) (*staffFile, error) {
	var f staffFile
	if err := protocol.DecodeStrict(StaffFile, data, maxStaffFile, &f); err != nil {
		return nil, err
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%s: unknown version %d", StaffFile, f.Version)
	}
	seen := map[string]bool{}
	for i, a := range f.Accounts {
		if err := protocol.ValidateID("account", a.Name); err != nil {
			return nil, fmt.Errorf("%s: accounts[%d].name: %w", StaffFile, i, err)
		}
		if seen[a.Name] {
			return nil, fmt.Errorf("%s: accounts[%d].name: %q twice", StaffFile, i, a.Name)
		}
		seen[a.Name] = true
		if a.Role != RoleSecretariat && a.Role != RoleObserver {
			return nil, fmt.Errorf("%s: accounts[%d].role: %q is not secretariat or observer", StaffFile, i, a.Role)
		}
		if _, err := bcrypt.Cost([]byte(a.Hash)); err != nil {
			return nil, fmt.Errorf("%s: accounts[%d].hash: %w", StaffFile, i, err)
		}
	}
	return &f, nil
}

// loadStaff reads StaffFile of dir; a missing file is no account.
func loadStaff(dir string) (*staffFile, error) {
	data, err := os.ReadFile(filepath.Join(dir, StaffFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &staffFile{Version: 1}, nil
	}
	if err != nil {
		return nil, err
	}
	return parseStaff(data)
}

func (f *staffFile) save(dir string) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return durable.Replace(filepath.Join(dir, StaffFile), append(data, '\n'), 0o600)
}

func (f *staffFile) find(name string) *staffRecord {
	for i := range f.Accounts {
		if f.Accounts[i].Name == name {
			return &f.Accounts[i]
		}
	}
	return nil
}

// AddStaff creates an account of the secretariat's console in the hub
// directory dir. A running hub takes it at the next sign-in.
func AddStaff(dir, name string, role StaffRole, password []byte, now time.Time) (*Staff, error) {
	if err := protocol.ValidateID("account", name); err != nil {
		return nil, &hint.Error{Msg: err.Error(), Fix: "an account name is lowercase letters, digits and dashes, e.g. fatou-diallo"}
	}
	if role != RoleSecretariat && role != RoleObserver {
		return nil, &hint.Error{Msg: fmt.Sprintf("role %q is not secretariat or observer", role), Fix: "pass --role secretariat (admits and revokes) or --role observer (reads only)"}
	}
	if len(password) < MinStaffPassword || len(password) > MaxStaffPassword {
		return nil, &hint.Error{Msg: fmt.Sprintf("the password is %d bytes: it must be %d to %d", len(password), MinStaffPassword, MaxStaffPassword), Fix: "choose a passphrase of a few words"}
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f, err := loadStaff(dir)
	if err != nil {
		return nil, err
	}
	if f.find(name) != nil {
		return nil, &hint.Error{Msg: fmt.Sprintf("account %q exists already", name), Fix: "pick another name; 'casenode hub user list' shows the accounts"}
	}
	hash, err := bcrypt.GenerateFromPassword(password, staffBcryptCost)
	if err != nil {
		return nil, err
	}
	s := Staff{Name: name, Role: role, Created: now.UTC().Truncate(time.Second)}
	f.Accounts = append(f.Accounts, staffRecord{Staff: s, Hash: string(hash)})
	slices.SortFunc(f.Accounts, func(a, b staffRecord) int { return strings.Compare(a.Name, b.Name) })
	if err := f.save(dir); err != nil {
		return nil, err
	}
	return &s, nil
}

// StaffList returns the accounts of the secretariat's console of dir.
func StaffList(dir string) ([]Staff, error) {
	f, err := loadStaff(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Staff, len(f.Accounts))
	for i, a := range f.Accounts {
		out[i] = a.Staff
	}
	return out, nil
}

// DisableStaff stops an account from signing in; its sessions end at
// their next request.
func DisableStaff(dir, name string, now time.Time) (*Staff, error) {
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	f, err := loadStaff(dir)
	if err != nil {
		return nil, err
	}
	a := f.find(name)
	if a == nil {
		return nil, &hint.Error{Msg: fmt.Sprintf("no console account %q", name), Fix: "'casenode hub user list' shows the accounts"}
	}
	if a.Disabled == nil {
		t := now.UTC().Truncate(time.Second)
		a.Disabled = &t
		if err := f.save(dir); err != nil {
			return nil, err
		}
	}
	s := a.Staff
	return &s, nil
}

// StaffMember returns the account name of the hub's console, or an error
// when there is none.
func (h *Hub) StaffMember(name string) (*Staff, error) {
	f, err := loadStaff(h.dir)
	if err != nil {
		return nil, err
	}
	a := f.find(name)
	if a == nil {
		return nil, ErrBadStaffCredentials
	}
	s := a.Staff
	return &s, nil
}

// AuthenticateStaff checks a console account's password. Every failure is
// ErrBadStaffCredentials, except a file the hub cannot read.
func (h *Hub) AuthenticateStaff(name string, password []byte) (*Staff, error) {
	f, err := loadStaff(h.dir)
	if err != nil {
		return nil, err
	}
	a := f.find(name)
	if a == nil {
		// Spend the time a hash takes, so that timing tells no name.
		bcrypt.CompareHashAndPassword([]byte(dummyHash), password)
		return nil, ErrBadStaffCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(a.Hash), password) != nil || a.Disabled != nil {
		return nil, ErrBadStaffCredentials
	}
	s := a.Staff
	return &s, nil
}

// dummyHash is compared against when the account does not exist.
const dummyHash = "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z9Q1b5uVqJb6mJ0cK6h2xJ5S"
