package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEQuickstart runs the README's quickstart block, as a newcomer
// would paste it into a fresh shell, against a freshly built casenode.
func TestREADMEQuickstart(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- quickstart -->\n```sh\n")
	block, _, ok2 := strings.Cut(after, "```\n<!-- /quickstart -->")
	if !ok || !ok2 {
		t.Fatal("README has no quickstart block between <!-- quickstart --> markers")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "casenode"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sh := exec.Command("bash", "-euo", "pipefail", "-c", block)
	sh.Dir = t.TempDir()
	sh.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "TMPDIR="+t.TempDir(), "CASENODE_PASSPHRASE=")
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	if err := sh.Run(); err != nil {
		t.Fatalf("quickstart failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"created agency sn-pj-dakar", "created agency gh-ag-accra", "type      case.lead", `"from": "sn-pj-dakar"`, `"name": "Parquet de Dakar"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, stdout.String())
		}
	}
}
