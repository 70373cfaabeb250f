package hub

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestControlRefusesOtherUsers: the control socket serves a backup to the
// hub's own user only. Its mode already keeps others out; opened to all
// here, the kernel's peer credentials still do: another user's request
// is refused with 403 and the reason.
func TestControlRefusesOtherUsers(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to connect as another user")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("needs curl, to connect as another user")
	}
	n := newTestNet(t, "gh-ag")
	sock := filepath.Join(n.dir, ControlSocket)
	for _, p := range []string{filepath.Dir(n.dir), n.dir} {
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(curl, "-sS", "-w", "\n%{http_code}", "--unix-socket", sock, "http://hub/v1/backup")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl as nobody: %v\n%s", err, out)
	}
	if !strings.HasSuffix(string(out), "\n403") || !strings.Contains(string(out), "only the hub's own user may take one") {
		t.Errorf("another user's request answered: %.300q", out)
	}
	// The owner's request, by the same client, gets the archive.
	out, err = exec.Command(curl, "-sS", "-o", filepath.Join(t.TempDir(), "a"), "-w", "%{http_code}", "--unix-socket", sock, "http://hub/v1/backup").CombinedOutput()
	if err != nil || string(out) != "200" {
		t.Errorf("the owner's request: %v, %s", err, out)
	}
}
