package hub

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStaffAccounts: accounts of the secretariat's console are created
// with a role and a bcrypt hash in a 0600 file, refused when invalid or
// duplicated, authenticated, and disabled.
func TestStaffAccounts(t *testing.T) {
	n := newTestNet(t)
	now := time.Now()
	pw := []byte("correct horse battery")
	if _, err := AddStaff(n.dir, "fatou", RoleSecretariat, pw, now); err != nil {
		t.Fatal(err)
	}
	if _, err := AddStaff(n.dir, "ousmane", RoleObserver, pw, now); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		name string
		role StaffRole
		pw   string
	}{{"fatou", RoleObserver, "correct horse battery"}, {"Bad Name", RoleObserver, "correct horse battery"}, {"kofi", "admin", "correct horse battery"}, {"kofi", RoleObserver, "short"}} {
		if _, err := AddStaff(n.dir, bad.name, bad.role, []byte(bad.pw), now); err == nil {
			t.Errorf("AddStaff(%q, %q, %q) accepted", bad.name, bad.role, bad.pw)
		}
	}
	fi, err := os.Stat(filepath.Join(n.dir, StaffFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", StaffFile, fi, err)
	}
	if st, err := n.hub.AuthenticateStaff("fatou", pw); err != nil || st.Role != RoleSecretariat {
		t.Errorf("authenticate fatou: %+v %v", st, err)
	}
	for _, c := range [][2]string{{"fatou", "wrong password!"}, {"nobody", "correct horse battery"}} {
		if _, err := n.hub.AuthenticateStaff(c[0], []byte(c[1])); !errors.Is(err, ErrBadStaffCredentials) {
			t.Errorf("authenticate %s/%s: %v", c[0], c[1], err)
		}
	}
	if _, err := DisableStaff(n.dir, "ousmane", now); err != nil {
		t.Fatal(err)
	}
	if _, err := n.hub.AuthenticateStaff("ousmane", pw); !errors.Is(err, ErrBadStaffCredentials) {
		t.Errorf("a disabled account signs in: %v", err)
	}
	list, err := StaffList(n.dir)
	if err != nil || len(list) != 2 || list[0].Name != "fatou" || list[1].Disabled == nil {
		t.Errorf("list %+v %v", list, err)
	}
}

// FuzzParseStaff: what the strict decoder accepts has valid names, roles
// and hashes.
func FuzzParseStaff(f *testing.F) {
	f.Add([]byte(`{"v":1,"accounts":[{"name":"fatou","role":"secretariat","created":"2026-12-06T08:00:00Z","hash":"$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z9Q1b5uVqJb6mJ0cK6h2xJ5S"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := parseStaff(data)
		if err != nil {
			return
		}
		for _, a := range sf.Accounts {
			if a.Role != RoleSecretariat && a.Role != RoleObserver {
				t.Fatalf("accepted role %q", a.Role)
			}
		}
	})
}
