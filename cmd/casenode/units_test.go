package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnits: the service units in scripts/systemd wait for the
// binary's readiness (Type=notify, which 'run' and 'hub run' send), restart
// always, carry the hardening options, never take a passphrase from the
// environment, and pass 'systemd-analyze verify' without a warning where
// systemd is installed.
func TestSystemdUnits(t *testing.T) {
	units := []string{"casenode-hub.service", "casenode-node@.service"}
	tmp := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var verify []string
	for _, u := range units {
		b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "systemd", u))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, want := range []string{"Type=notify", "Restart=always", "User=casenode", "NoNewPrivileges=yes", "ProtectSystem=strict",
			"PrivateTmp=yes", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "ReadWritePaths=/var/lib/casenode/",
			"ExecStart=/usr/local/bin/casenode "} {
			if !strings.Contains(s, want) {
				t.Errorf("%s lacks %q", u, want)
			}
		}
		if strings.Contains(s, "CASENODE_PASSPHRASE") {
			t.Errorf("%s passes a passphrase in the environment", u)
		}
		// systemd-analyze checks that ExecStart names an executable.
		name := strings.Replace(u, "@.", "@accra.", 1)
		os.WriteFile(filepath.Join(tmp, name), []byte(strings.ReplaceAll(s, "/usr/local/bin/casenode", exe)), 0o644)
		verify = append(verify, filepath.Join(tmp, name))
	}
	if _, err := os.Stat(filepath.Join("..", "..", "scripts", "systemd", "casenode.sysusers")); err != nil {
		t.Error(err)
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("no systemd-analyze here: the units are checked by content only")
		return
	}
	out, err := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, verify...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
