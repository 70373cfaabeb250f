package agency_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/casenode/casenode/node/agency"
)

// TestAccounts creates, authenticates and disables console accounts, and
// checks that the node never gives out a hash and records every change in
// the audit log under the actor.
func TestAccounts(t *testing.T) {
	w := newNetwork(t, netOptions{}, "sn-pj-dakar")
	n := w.node("sn-pj-dakar")
	ctx := context.Background()
	root := agency.Actor{Via: agency.ViaProcess, Name: "root"}
	a, err := n.AddAccount(ctx, root, agency.NewAccount{Name: "aminata", Role: agency.RoleProsecutor, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "aminata" || a.Role != agency.RoleProsecutor || a.Disabled != nil || a.Created.IsZero() {
		t.Errorf("account %+v", a)
	}
	for _, tc := range []struct {
		na   agency.NewAccount
		want string
	}{
		{agency.NewAccount{Name: "aminata", Role: agency.RoleClerk, Password: "another long one"}, `account "aminata" exists already`},
		{agency.NewAccount{Name: "Aminata Diop", Role: agency.RoleClerk, Password: "another long one"}, "account"},
		{agency.NewAccount{Name: "awa", Role: "judge", Password: "another long one"}, `unknown role "judge"`},
		{agency.NewAccount{Name: "awa", Role: agency.RoleClerk, Password: "short"}, "the password is 5 bytes long"},
		{agency.NewAccount{Name: "awa", Role: agency.RoleClerk, Password: strings.Repeat("x", 73)}, "the password is 73 bytes long"},
	} {
		if _, err := n.AddAccount(ctx, root, tc.na); !errors.Is(err, agency.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddAccount(%+v): %v, want %q", tc.na, err, tc.want)
		}
	}
	if got, err := n.Authenticate(ctx, "aminata", []byte("correct horse battery")); err != nil || got.Name != "aminata" {
		t.Fatalf("authenticate: %v %+v", err, got)
	}
	for _, tc := range []struct{ name, pw string }{{"aminata", "wrong horse battery"}, {"nobody", "correct horse battery"}, {"../etc", "x"}, {"aminata", ""}} {
		if _, err := n.Authenticate(ctx, tc.name, []byte(tc.pw)); !errors.Is(err, agency.ErrBadCredentials) {
			t.Errorf("authenticate %q/%q: %v, want ErrBadCredentials", tc.name, tc.pw, err)
		}
	}
	if err := n.SetAccountLanguage(ctx, "aminata", "fr"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.DisableAccount(ctx, root, "aminata"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Authenticate(ctx, "aminata", []byte("correct horse battery")); !errors.Is(err, agency.ErrBadCredentials) {
		t.Errorf("a disabled account signs in: %v", err)
	}
	as, err := n.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Disabled == nil || as[0].Language != "fr" {
		t.Errorf("accounts %+v", as)
	}
	if _, err := n.DisableAccount(ctx, root, "nobody"); !errors.Is(err, agency.ErrNotFound) {
		t.Errorf("disable an unknown account: %v", err)
	}
	var changes []string
	for _, r := range w.audit("sn-pj-dakar") {
		if r.Type.String() == "access" && r.Actor == "root" {
			changes = append(changes, string(r.Payload))
		}
	}
	want := []string{`{"action":"account-add","account":"aminata","role":"prosecutor","via":"process"}`, `{"action":"account-disable","account":"aminata","via":"process"}`}
	if strings.Join(changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit records\n%s\nwant\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
}
