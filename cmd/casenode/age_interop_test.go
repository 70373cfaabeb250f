package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
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
// recipient's identity file. In format version 1 the plaintext is the
// compact inner JWS and the sender's identity decrypts it too; in version 2
// it is the inner signature then the signed body, and the file holds no
// stanza for the sender (which derives its file key instead).
func TestAgeInterop(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to run the reference age tool")
	}
	for _, kind := range []protocol.RecipientKind{protocol.KindHybrid, protocol.KindClassic} {
		for _, version := range []int{protocol.FormatVersion1, protocol.FormatVersion2} {
			t.Run(fmt.Sprintf("%s/v%d", kind, version), func(t *testing.T) {
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
				s, err := seal.Seal(ids[0], []*protocol.MemberCard{ids[1].Card}, protocol.TypeLead, protocol.Example(protocol.TypeLead), seal.Options{Version: version})
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
				cmd = exec.Command("go", "tool", "age", "-d", "-i", filepath.Join(dir, "sn-pj-dakar", identity.AgeIdentityFile), ct)
				senderOut, senderErr := cmd.CombinedOutput()
				if version == protocol.FormatVersion1 {
					if !bytes.Equal(out.Bytes(), opened.Signed) {
						t.Fatalf("age decrypted %d bytes that are not the signed body", out.Len())
					}
					// The sender's own identity decrypts it too.
					if senderErr != nil || !bytes.Equal(senderOut, opened.Signed) {
						t.Fatalf("age -d with the sender's identity: %v: %.200s", senderErr, senderOut)
					}
					return
				}
				parts := strings.Split(string(opened.Signed), ".")
				payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
				sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
				if !bytes.Equal(out.Bytes(), append(sig, payload...)) {
					t.Fatalf("age decrypted %d bytes that are not the inner signature and the signed body", out.Len())
				}
				if senderErr == nil {
					t.Fatal("age -d with the sender's identity decrypted a version 2 file: it holds a stanza for the sender")
				}
				// The sender opens it with casenode.
				if _, err := seal.Open(s.Raw, ids[0], seal.NewCardSet(ids[0].Card), seal.VerifyOptions{}); err != nil {
					t.Fatalf("the sender cannot open its own message: %v", err)
				}
			})
		}
	}
}
