package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// bucketAccounts holds the console's accounts: name → Account. It is
// created on the first write, so that stores made before the console
// open unchanged.
var bucketAccounts = []byte("accounts")

// Account is a person who signs in to the node's console.
type Account struct {
	Name string `json:"name"`
	// Role is prosecutor, clerk or admin.
	Role string `json:"role"`
	// Hash is the password's bcrypt hash.
	Hash []byte `json:"hash"`
	// Language is the console's language for this person (en, fr, pt), or
	// empty until the person picks one.
	Language string    `json:"language,omitempty"`
	Created  time.Time `json:"created"`
	// Disabled, if set, is when the account was disabled: it can no
	// longer sign in.
	Disabled *time.Time `json:"disabled,omitempty"`
}

// Account returns the account name, or nil.
func (t *Tx) Account(name string) (*Account, error) {
	b := t.bucket(bucketAccounts)
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(name))
	if v == nil {
		return nil, nil
	}
	var a Account
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, fmt.Errorf("account %s: %w", name, err)
	}
	return &a, nil
}

// PutAccount stores a, replacing the account of the same name.
func (t *Tx) PutAccount(a *Account) error {
	b, err := t.createBucket(bucketAccounts)
	if err != nil {
		return err
	}
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return b.Put([]byte(a.Name), v)
}

// Accounts returns every account, in name order.
func (t *Tx) Accounts() ([]*Account, error) {
	b := t.bucket(bucketAccounts)
	if b == nil {
		return nil, nil
	}
	var out []*Account
	err := b.ForEach(func(k, v []byte) error {
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("account %s: %w", k, err)
		}
		out = append(out, &a)
		return nil
	})
	return out, err
}
