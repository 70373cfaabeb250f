package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type goPackage struct {
	ImportPath string
	Name       string
	Doc        string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "github.com/casenode/casenode/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestArchitecture keeps the layers apart: the wire types and the crypto do
// no I/O and know nothing of transport or storage, and every package says
// what it is for.
func TestArchitecture(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	const mod = "github.com/casenode/casenode/"
	forbidden := map[string][]string{
		mod + "protocol": {"os", "net", "net/http", "github.com/nats-io/", "go.etcd.io/bbolt", mod + "node", mod + "config", mod + "crypto"},
		mod + "crypto/":  {"net", "net/http", "github.com/nats-io/", "go.etcd.io/bbolt", mod + "node", mod + "config"},
		mod + "config":   {"github.com/nats-io/", "go.etcd.io/bbolt", mod + "node"},
	}
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
		for prefix, bad := range forbidden {
			if p.ImportPath != prefix && !strings.HasPrefix(p.ImportPath, prefix) {
				continue
			}
			for _, imp := range p.Imports {
				for _, b := range bad {
					if imp == b || strings.HasSuffix(b, "/") && strings.HasPrefix(imp, b) || strings.HasPrefix(imp, b+"/") && strings.HasPrefix(b, mod) {
						t.Errorf("%s imports %s: it must not depend on %s", p.ImportPath, imp, b)
					}
				}
			}
		}
	}
}
