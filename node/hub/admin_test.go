package hub

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

// TestConsoleChangesAreSignedAndRecorded: a change from the console signs
// with the passphrase given for it alone: a wrong one signs nothing and is
// recorded as a failure; the right one admits, and the running hub takes
// the roster at once; revocation and renewal likewise, each in the hub's
// own audit log under the person.
func TestConsoleChangesAreSignedAndRecorded(t *testing.T) {
	dir := t.TempDir()
	pass := []byte("secretariat passphrase")
	if _, err := Init(dir, InitOptions{Network: testNetwork, Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0",
		Passphrase: pass, WorkFactor: 10, Now: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	h, err := Open(context.Background(), dir, Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := ctxT(t)
	id, err := identity.Generate(testNetwork, "gh-ag", "Accra", "GH", protocol.KindClassic, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	serial := h.Roster().Roster.Serial
	_, err = h.AdmitMember(ctx, "console:fatou", id.Card, []byte("wrong"), time.Now())
	var wp *identity.WrongPassphraseError
	if !errors.As(err, &wp) {
		t.Fatalf("admit with a wrong passphrase: %v", err)
	}
	if h.Roster().Roster.Serial != serial || h.Roster().Roster.Member("gh-ag") != nil {
		t.Fatal("a wrong passphrase changed the roster")
	}
	ad, err := h.AdmitMember(ctx, "console:fatou", id.Card, pass, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m := h.Roster().Roster.Member("gh-ag"); m == nil || m.Status != protocol.StatusActive || h.Roster().Roster.Serial != serial+1 || ad.Credentials == "" {
		t.Fatalf("after admission: serial %d, admission %+v", h.Roster().Roster.Serial, ad)
	}
	if _, err := h.AdmitMember(ctx, "console:fatou", id.Card, pass, time.Now()); err == nil {
		t.Error("the same card admitted twice")
	}
	if _, err := h.RevokeMember(ctx, "console:kofi", "gh-ag", pass, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.RenewRoster(ctx, "console:fatou", pass, time.Now()); err != nil {
		t.Fatal(err)
	}
	if m := h.Roster().Roster.Member("gh-ag"); m.Status != protocol.StatusRevoked || h.Roster().Roster.Serial != serial+3 {
		t.Fatalf("after revocation and renewal: %s, serial %d", m.Status, h.Roster().Roster.Serial)
	}
	acts, err := h.RecentActions(10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ actor, action string }{{"console:fatou", "renew"}, {"console:kofi", "revoke"}, {"console:fatou", "admit.failed"}, {"console:fatou", "admit"}, {"console:fatou", "admit.failed"}}
	if len(acts) != len(want) {
		t.Fatalf("recorded %+v", acts)
	}
	for i, w := range want {
		if acts[i].Actor != w.actor || acts[i].Action.Action != w.action {
			t.Errorf("action %d: %s %s, want %s %s", i, acts[i].Actor, acts[i].Action.Action, w.actor, w.action)
		}
	}
	if acts[3].Serial != serial+1 || acts[3].Agency != "gh-ag" || acts[3].KeyID != id.KeyID() {
		t.Errorf("the admission's record %+v", acts[3])
	}
	// The passphrases, right and wrong, are nowhere: not in the log, not
	// in any file of the hub directory.
	if strings.Contains(logs.String(), string(pass)) || strings.Contains(logs.String(), "wrong\"") {
		t.Error("a passphrase is in the hub's log")
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, pass) {
				t.Errorf("the passphrase is in %s", path)
			}
		}
		return nil
	})
}

// TestOwnLogKeyForAnOlderHub: a hub directory made before the hub had its
// own audit log gets the log's key, 0600, at its first start.
func TestOwnLogKeyForAnOlderHub(t *testing.T) {
	n := newTestNet(t)
	n.hub.Close()
	if err := os.RemoveAll(filepath.Join(n.dir, OwnLogDir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(n.dir, OwnLogFile))
	n.start(t)
	for _, f := range []string{identity.SigningKeyFile, identity.AgeIdentityFile} {
		fi, err := os.Stat(filepath.Join(n.dir, OwnLogDir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	if size, err := n.hub.own.Size(); err != nil || size < 1 {
		t.Errorf("the hub's audit log holds %d records, %v", size, err)
	}
}
