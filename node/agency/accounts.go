package agency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/crypto/bcrypt"
)

// Role is what a console account may do: a prosecutor reads and sends, a
// clerk too (the role is recorded for the audit), an admin also manages
// alarms.
type Role string

// The roles of console accounts.
const (
	RoleProsecutor Role = "prosecutor"
	RoleClerk      Role = "clerk"
	RoleAdmin      Role = "admin"
)

// Roles returns every role.
func Roles() []Role { return []Role{RoleProsecutor, RoleClerk, RoleAdmin} }

// Password length bounds, in bytes: bcrypt reads at most 72.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 72
)

// bcryptCost is bcrypt's work factor: 2^10 rounds, about 60 ms here, so
// that a stolen store does not give passwords away cheaply while signing
// in stays quick on an old laptop.
const bcryptCost = 10

// ErrBadCredentials is what Authenticate returns for an unknown account,
// a wrong password or a disabled account alike, so that a guesser learns
// nothing of which.
var ErrBadCredentials = errors.New("wrong account name or password")

// Account is a person who signs in to the console, as the node describes
// it (never with its password hash).
type Account struct {
	Name     string     `json:"name"`
	Role     Role       `json:"role"`
	Language string     `json:"language,omitempty"`
	Created  time.Time  `json:"created"`
	Disabled *time.Time `json:"disabled,omitempty"`
}

// NewAccount is an account to create.
type NewAccount struct {
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Password string `json:"password"`
}

func accountView(a *store.Account) *Account {
	return &Account{Name: a.Name, Role: Role(a.Role), Language: a.Language, Created: a.Created, Disabled: a.Disabled}
}

// ViaConsole: a person signed in to the node's web console with an
// account's password (Actor.Via); the console names the actor
// "console:ACCOUNT".
const ViaConsole = "console"

// accountRecord is the payload of the access record of a change to an
// account.
type accountRecord struct {
	Action  string `json:"action"`
	Account string `json:"account"`
	Role    Role   `json:"role,omitempty"`
	// Via and Label are as in the access record of a message (show.go).
	Via   string `json:"via,omitempty"`
	Label string `json:"label,omitempty"`
}

func (n *Node) recordAccount(ctx context.Context, actor Actor, r accountRecord) error {
	r.Via, r.Label = actor.Via, actor.label()
	p, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := n.audit.Append(ctx, auditlog.Entry{Type: auditlog.TypeAccess, Actor: actor.Name, Payload: p}); err != nil {
		return fmt.Errorf("record the change of account %s in the audit log: %w", r.Account, err)
	}
	return nil
}

// AddAccount creates a console account; actor is who creates it.
func (n *Node) AddAccount(ctx context.Context, actor Actor, na NewAccount) (*Account, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	if err := protocol.ValidateID("account", na.Name); err != nil {
		return nil, invalid("an account name is "+protocol.IDRule, "%v", err)
	}
	if !slices.Contains(Roles(), na.Role) {
		return nil, invalid("--role is prosecutor, clerk or admin", "unknown role %q", na.Role)
	}
	if len(na.Password) < MinPasswordLen || len(na.Password) > MaxPasswordLen {
		return nil, invalid(fmt.Sprintf("choose a password of %d to %d bytes", MinPasswordLen, MaxPasswordLen), "the password is %d bytes long", len(na.Password))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(na.Password), bcryptCost)
	if err != nil {
		return nil, err
	}
	var old *store.Account
	if err := n.store.View(func(tx *store.Tx) error { old, err = tx.Account(na.Name); return err }); err != nil {
		return nil, err
	}
	if old != nil {
		return nil, invalid("pick another name; 'casenode user list' shows the accounts", "account %q exists already", na.Name)
	}
	if err := n.recordAccount(ctx, actor, accountRecord{Action: "account-add", Account: na.Name, Role: na.Role}); err != nil {
		return nil, err
	}
	a := &store.Account{Name: na.Name, Role: string(na.Role), Hash: hash, Created: n.o.Now().UTC()}
	if err := n.store.Commit(func(tx *store.Tx) error { return tx.PutAccount(a) }); err != nil {
		return nil, fmt.Errorf("store account %s: %w", na.Name, err)
	}
	return accountView(a), nil
}

// Accounts lists the console accounts in name order.
func (n *Node) Accounts(ctx context.Context) ([]*Account, error) {
	var as []*store.Account
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		as, err = tx.Accounts()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Account, len(as))
	for i, a := range as {
		out[i] = accountView(a)
	}
	return out, nil
}

// Account returns the account name, disabled or not.
func (n *Node) Account(ctx context.Context, name string) (*Account, error) {
	a, err := n.account(name)
	if err != nil {
		return nil, err
	}
	return accountView(a), nil
}

func (n *Node) account(name string) (*store.Account, error) {
	var a *store.Account
	err := n.store.View(func(tx *store.Tx) error {
		var err error
		a, err = tx.Account(name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, notFound("'casenode user list' shows the accounts", "no account %q", name)
	}
	return a, nil
}

// DisableAccount stops account name from signing in; its sessions end at
// their next request. actor is who disables it.
func (n *Node) DisableAccount(ctx context.Context, actor Actor, name string) (*Account, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	a, err := n.account(name)
	if err != nil {
		return nil, err
	}
	if a.Disabled != nil {
		return accountView(a), nil
	}
	if err := n.recordAccount(ctx, actor, accountRecord{Action: "account-disable", Account: name}); err != nil {
		return nil, err
	}
	var out *store.Account
	err = n.store.Commit(func(tx *store.Tx) error {
		a, err := tx.Account(name)
		if err != nil || a == nil {
			return err
		}
		now := n.o.Now().UTC()
		a.Disabled = &now
		out = a
		return tx.PutAccount(a)
	})
	if err != nil {
		return nil, fmt.Errorf("disable account %s: %w", name, err)
	}
	return accountView(out), nil
}

// SetAccountLanguage keeps the console language the person chose.
func (n *Node) SetAccountLanguage(ctx context.Context, name, lang string) error {
	return n.store.Commit(func(tx *store.Tx) error {
		a, err := tx.Account(name)
		if err != nil {
			return err
		}
		if a == nil {
			return notFound("", "no account %q", name)
		}
		a.Language = lang
		return tx.PutAccount(a)
	})
}

// dummyHash is compared against when the account does not exist, so that
// an unknown name costs the same time as a wrong password.
const dummyHash = "$2a$10$vz64BT1nwSVnUr0lEDjS3O0LADFzLf7snOpIVbZdavQOgEue5KjPi"

// Authenticate checks a password and returns the account, or
// ErrBadCredentials.
func (n *Node) Authenticate(ctx context.Context, name string, password []byte) (*Account, error) {
	var a *store.Account
	if protocol.ValidateID("account", name) == nil {
		err := n.store.View(func(tx *store.Tx) error {
			var err error
			a, err = tx.Account(name)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	hash := []byte(dummyHash)
	if a != nil {
		hash = a.Hash
	}
	ok := bcrypt.CompareHashAndPassword(hash, password) == nil
	if a == nil || !ok || a.Disabled != nil {
		return nil, ErrBadCredentials
	}
	return accountView(a), nil
}
