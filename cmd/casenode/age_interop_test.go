package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

// runCLI runs one casenode command line in-process and returns its exit
// code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, now: time.Now}
	code := run(args, e)
	return code, stdout.String(), stderr.String()
}

// TestAgeInterop checks that the encrypted part of a sealed message, as
// 'casenode inspect --ciphertext' writes it, is a standard age file that the
// reference age tool (pinned in go.mod as a tool) decrypts with the
// recipient's identity file.
func TestAgeInterop(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run the reference age tool")
	}
	for _, kind := range []protocol.RecipientKind{protocol.KindHybrid, protocol.KindClassic} {
		t.Run(string(kind), func(t *testing.T) {
			dir := t.TempDir()
			var ids []*identity.Identity
			for _, a := range []string{"sn-pj-dakar", "gh-ag-accra"} {
				id, err := identity.Generate("wacap", a, a, "SN", kind, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if err := id.Save(filepath.Join(dir, a), nil); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			s, err := seal.Seal(ids[0], []*protocol.MemberCard{ids[1].Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			msg, ct := filepath.Join(dir, "lead.msg"), filepath.Join(dir, "lead.age")
			if err := os.WriteFile(msg, s.Raw, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := runCLI(t, "inspect", "--in", msg, "--ciphertext", ct); code != 0 {
				t.Fatalf("inspect: exit %d: %s", code, stderr)
			}
			cmd := exec.Command("go", "tool", "age", "-d", "-i", filepath.Join(dir, "gh-ag-accra", identity.AgeIdentityFile), ct)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Run(); err != nil {
				t.Fatalf("age -d: %v: %s", err, errOut.String())
			}
			opened, err := seal.Open(s.Raw, ids[1], seal.NewCardSet(ids[0].Card), seal.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), opened.Signed) {
				t.Fatalf("age decrypted %d bytes that are not the signed body", out.Len())
			}
			// The sender's own identity decrypts it too.
			cmd = exec.Command("go", "tool", "age", "-d", "-i", filepath.Join(dir, "sn-pj-dakar", identity.AgeIdentityFile), ct)
			if b, err := cmd.CombinedOutput(); err != nil || !bytes.Equal(b, opened.Signed) {
				t.Fatalf("age -d with the sender's identity: %v: %.200s", err, b)
			}
		})
	}
}
