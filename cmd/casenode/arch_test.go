package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/casenode/casenode/"

type goPackage struct {
	ImportPath   string
	Name         string
	Doc          string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
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

// tracked are the imports outside the module the package table follows:
// the NATS server, the NATS client and its key library, and bbolt.
var tracked = map[string]string{
	"github.com/nats-io/nats-server/v2": "nats-server",
	"github.com/nats-io/nats.go":        "nats.go",
	"github.com/nats-io/nkeys":          "nkeys",
	"go.etcd.io/bbolt":                  "bbolt",
}

// row is one package of the table: what it imports of ours, and which of
// the tracked libraries.
type row struct{ ours, tracked []string }

// importsOf returns what p imports (tests not counted), as the table
// names it.
func importsOf(p goPackage) row {
	var r row
	for _, imp := range p.Imports {
		if rest, ok := strings.CutPrefix(imp, module); ok {
			r.ours = append(r.ours, rest)
			continue
		}
		for prefix, name := range tracked {
			if imp == prefix || strings.HasPrefix(imp, prefix+"/") {
				r.tracked = append(r.tracked, name)
			}
		}
	}
	r.ours, r.tracked = sortedSet(r.ours), sortedSet(r.tracked)
	return r
}

func sortedSet(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

// readTable reads the package table of docs/ARCHITECTURE.md: the rows of
// the table whose header has the column "imports of ours".
func readTable(t *testing.T) map[string]row {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table := map[string]row{}
	ours, trackedCol := -1, -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			ours = -1
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if ours < 0 {
			ours, trackedCol = slices.Index(cells, "imports of ours"), slices.Index(cells, "NATS, bbolt")
			continue
		}
		if strings.HasPrefix(cells[0], "---") || strings.HasPrefix(cells[0], ":-") {
			continue
		}
		name := strings.Trim(cells[0], "`")
		if _, dup := table[name]; dup {
			t.Errorf("docs/ARCHITECTURE.md: package %s has two rows", name)
		}
		table[name] = row{ours: cellList(cells[ours]), tracked: cellList(cells[trackedCol])}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(table) == 0 {
		t.Fatal("docs/ARCHITECTURE.md has no package table with the columns 'imports of ours' and 'NATS, bbolt'")
	}
	return table
}

// cellList reads a cell such as "`protocol`, `crypto/jws`"; "—" is none.
func cellList(cell string) []string {
	var out []string
	for _, s := range strings.Split(cell, ",") {
		s = strings.Trim(strings.TrimSpace(s), "`")
		if s != "" && s != "—" {
			out = append(out, s)
		}
	}
	return sortedSet(out)
}

// TestArchitecture holds the package table of docs/ARCHITECTURE.md to the
// code: every package has a row, and its row names exactly what it imports
// of ours and of NATS and bbolt, so that the document cannot drift. Rules
// that editing the table cannot change sit below it: they are the layering
// itself.
func TestArchitecture(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	table := readTable(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		name := strings.TrimPrefix(p.ImportPath, module)
		seen[name] = true
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", name)
		}
		got := importsOf(p)
		want, ok := table[name]
		if !ok {
			t.Errorf("docs/ARCHITECTURE.md: package %s has no row in the package table; it imports of ours %s, of NATS and bbolt %s",
				name, show(got.ours), show(got.tracked))
			continue
		}
		if !slices.Equal(got.ours, want.ours) {
			t.Errorf("docs/ARCHITECTURE.md: %s imports of ours %s, but its row says %s", name, show(got.ours), show(want.ours))
		}
		if !slices.Equal(got.tracked, want.tracked) {
			t.Errorf("docs/ARCHITECTURE.md: %s imports of NATS and bbolt %s, but its row says %s", name, show(got.tracked), show(want.tracked))
		}
		for _, rule := range layering {
			if rule.applies(name) {
				for _, imp := range p.Imports {
					if rule.forbids(imp) {
						t.Errorf("%s imports %s: %s", name, imp, rule.why)
					}
				}
			}
		}
		for _, testOnly := range []string{"internal/poll", "node/console/browsertest"} {
			if name == testOnly {
				continue
			}
			for _, imp := range p.Imports {
				if imp == module+testOnly {
					t.Errorf("%s imports %s: only tests may", name, testOnly)
				}
			}
		}
	}
	for name := range table {
		if !seen[name] {
			t.Errorf("docs/ARCHITECTURE.md: the package table has a row for %s, which does not exist", name)
		}
	}
}

func show(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, ", ")
}

// rule forbids the packages under one of its prefixes (but those under an
// exception) to import a package in one of the trees bad, or one of exact.
type rule struct {
	under  []string
	except []string
	bad    []string
	exact  []string
	why    string
}

func (r rule) applies(name string) bool {
	has := func(list []string) bool {
		return slices.ContainsFunc(list, func(p string) bool { return name == p || strings.HasPrefix(name, p+"/") })
	}
	return has(r.under) && !has(r.except)
}

func (r rule) forbids(imp string) bool {
	return slices.Contains(r.exact, imp) || slices.ContainsFunc(r.bad, func(b string) bool { return imp == b || strings.HasPrefix(imp, b+"/") })
}

// layering are the rules of the layers, whatever the table says.
var layering = []rule{
	{under: []string{"protocol"}, bad: []string{"os", "net", "github.com/nats-io", "go.etcd.io/bbolt", module + "node", module + "config", module + "crypto", module + "internal"},
		why: "the wire types do no I/O and depend on no other package of ours"},
	{under: []string{"crypto", "config"}, bad: []string{"net/http", "github.com/nats-io", "go.etcd.io/bbolt", module + "node", module + "cmd"},
		why: "the crypto and the configuration know nothing of HTTP, NATS, bbolt, the node or the CLI"},
	{under: []string{"crypto"}, exact: []string{"net"},
		why: "the crypto opens no connection"},
	{under: []string{"crypto"}, except: []string{"crypto/identity"}, bad: []string{"os"},
		why: "only crypto/identity, the agency's keys on disk, touches files"},
	{under: []string{"internal"}, bad: []string{module[:len(module)-1], "github.com/nats-io", "go.etcd.io/bbolt"},
		why: "the internal packages are leaves every package may import"},
	{under: []string{"node/api", "node/lab", "cmd"}, bad: []string{module + "node/store"},
		why: "the node's store is its file format: the API, the tools and the CLI go through node/agency"},
	{under: []string{"node/console"}, except: []string{"node/console/auditor", "node/console/secretariat"}, bad: []string{module + "node/store", module + "node/auditlog", module + "node/hub", module + "node/hubconn", "github.com/nats-io", "go.etcd.io/bbolt"},
		why: "the console is a client of the node like the API: it calls node/agency, never the store, the audit log or the hub"},
	{under: []string{"node/console/secretariat"}, bad: []string{module + "node/store", module + "node/auditlog", module + "node/agency", module + "node/hubconn", "github.com/nats-io", "go.etcd.io/bbolt"},
		why: "the secretariat's console is a client of the hub like the CLI: it calls node/hub, never the NATS server, the stores or the audit log"},
	{under: []string{"node/console/auditor"}, bad: []string{module + "node/store", module + "node/agency", module + "node/hub", module + "node/hubconn", "github.com/nats-io", "go.etcd.io/bbolt"},
		why: "the auditor's console reads copies of audit logs through node/auditlog's Reader, and nothing of a running node"},
	{under: []string{"node/store", "node/auditlog", "node/batch", "node/hubconn"}, bad: []string{"github.com/nats-io/nats-server"},
		why: "only the hub, and the bench that measures raw JetStream, embed the NATS server"},
}
