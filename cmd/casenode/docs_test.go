package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
)

// The documents mark the command blocks that TestDocsWalk runs:
//
//	<!-- walk NAME [background] -->
//	```sh
//	casenode …
//	```
//	<!-- /walk -->
//
// Of a block, the test runs the lines that start with "casenode" (with
// their continuation lines) in bash; other lines are the output the
// document shows. A background block is a process that runs until the
// test ends (a hub, a node).
var walkMarker = regexp.MustCompile("(?m)^ *<!-- walk ([a-z0-9-]+)( background)? -->\n *```sh\n((?s:.*?))\n *```\n *<!-- /walk -->")

// walkBlock is one marked block of a document.
type walkBlock struct {
	doc, name  string
	background bool
	commands   string
}

// docBlocks returns the marked blocks of the documents, by name.
func docBlocks(t *testing.T, docs ...string) map[string]*walkBlock {
	t.Helper()
	blocks := map[string]*walkBlock{}
	for _, d := range docs {
		text, err := os.ReadFile(filepath.Join("..", "..", d))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range walkMarker.FindAllStringSubmatch(string(text), -1) {
			if blocks[m[1]] != nil {
				t.Fatalf("%s: walk block %q twice", d, m[1])
			}
			blocks[m[1]] = &walkBlock{doc: d, name: m[1], background: m[2] != "", commands: commandLines(m[3])}
		}
		if n := strings.Count(string(text), "<!-- walk "); n != len(walkMarker.FindAllString(string(text), -1)) {
			t.Fatalf("%s: %d walk markers, but only %d well-formed blocks", d, n, len(walkMarker.FindAllString(string(text), -1)))
		}
	}
	return blocks
}

// commandLines keeps the casenode command lines of a block, with their
// continuation lines, and drops the output shown.
func commandLines(block string) string {
	var out []string
	cont := false
	for _, l := range strings.Split(block, "\n") {
		l = strings.TrimLeft(l, " ")
		if cont || strings.HasPrefix(l, "casenode ") {
			out = append(out, l)
			cont = strings.HasSuffix(l, "\\")
		}
	}
	return strings.Join(out, "\n")
}

// docWalk runs the blocks of the documents in a shared directory, as
// people of each role would type them on their machines: the secretariat,
// the agency of Dakar, the inspector.
type docWalk struct {
	t      *testing.T
	blocks map[string]*walkBlock
	used   map[string]bool
	work   string
	env    []string
	subst  *strings.Replacer
	bg     []*exec.Cmd
	ran    []string
}

// TestDocsWalk walks the main flows of docs/OPERATOR.md, docs/USER.md and
// docs/AUDIT.md as they are written, against a freshly built casenode:
// the secretariat sets up and runs a hub and admits the agencies, the
// agency of Dakar joins, sends, reads, follows its cases and contacts, and
// an inspector audits its log. The commands come from the documents; the
// test only maps /srv/ into its directory and the hub's address
// (hub.wacap.example:4222, 0.0.0.0:4222) to a free local port, plays the
// out-of-band handovers the documents describe (a card sent by e-mail,
// credentials handed over), and runs the other agencies' side.
func TestDocsWalk(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if testing.Short() {
		t.Skip("builds the binary and runs a hub and nodes")
	}
	w := newDocWalk(t)
	defer w.stop()

	// The secretariat sets up its hub and runs it.
	w.run("operator-init", "created the hub of network wacap")
	w.run("operator-check", "hub.json: OK")
	w.run("operator-run", "")
	w.waitPort()

	// The agency of Dakar creates its keys; the secretariat admits it and
	// hands back what it needs; it joins and runs its node.
	w.run("user-init", "created agency sn-pj-dakar")
	w.shell("cp srv/casenode/member.json sn-pj-dakar.json") // e-mailed to the secretariat
	w.run("operator-admit", "admitted sn-pj-dakar")
	w.shell("cp srv/casenode-hub/creds/sn-pj-dakar.creds sn-pj-dakar.creds && cp srv/casenode-hub/secretariat/member.json wacap-secretariat.json")
	w.run("user-join", "agency sn-pj-dakar joined network wacap")
	w.run("user-run", "")

	// The other agencies: Accra runs a node, Niamey is admitted and stays
	// offline.
	w.otherAgency("gh-ag", "GH", true)
	w.otherAgency("ne-mj", "NE", false)
	w.waitOnline("srv/casenode")
	w.waitOnline("accra")
	w.waitFor("dakar to take the roster that admits ne-mj", "casenode status --dir srv/casenode", "roster     serial 4,")

	// Dakar's daily work.
	out := w.run("user-send", "")
	id := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`).FindString(out)
	if id == "" {
		t.Fatalf("send printed no message id:\n%s", out)
	}
	w.subst = strings.NewReplacer(append(w.pairs(), "0196ed27-54e0-7a3c-8f2d-41b6e07c9e25", id)...)
	w.waitFor("accra's delivered receipt and the hub's copy for niamey", "casenode outbox --dir srv/casenode", "gh-ag delivered, ne-mj relayed")
	w.run("user-outbox", "gh-ag delivered, ne-mj relayed")
	w.run("user-read", "type      case.request")
	w.run("user-cases", "case SN/2025/0042: 1 message (0 received, 1 sent)")
	w.run("user-contacts", "Aminata Diop")
	w.run("user-status", "this agency: active")
	w.run("user-alarms", "no alarms")

	// The secretariat's routine: members, renewal, a revocation.
	w.run("operator-members", "revoked ne-mj")
	w.run("operator-console-users", "account ousmane disabled")

	// An inspector audits Dakar's log, in March and in April.
	w.run("audit-snapshot", "a consistent copy of the audit log")
	w.run("audit-march-copy", "a consistent copy")
	w.run("audit-march-verify", "audit log casenode/wacap/sn-pj-dakar: verified")
	w.run("audit-prove", "proof checked: record 3 is in the audit log casenode/wacap/sn-pj-dakar")
	w.shell("casenode audit snapshot --dir accra --out accra-0301.db") // Accra's copy, handed to the inspector
	w.run("audit-diff", "findings:   none")
	w.run("audit-delivery", "from sn-pj-dakar was delivered to gh-ag at ")
	w.run("audit-april", "consistency:  the log extends the checkpoint given")

	for name, b := range w.blocks {
		if !w.used[name] {
			t.Errorf("%s: walk block %q is not walked by TestDocsWalk", b.doc, name)
		}
	}
}

func newDocWalk(t *testing.T) *docWalk {
	w := &docWalk{t: t, blocks: docBlocks(t, "docs/OPERATOR.md", "docs/USER.md", "docs/AUDIT.md"), used: map[string]bool{}, work: t.TempDir()}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "casenode"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	w.env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+w.work, "TMPDIR="+t.TempDir(),
		"CASENODE_PASSPHRASE=correct horse battery staple", "CASENODE_TEST_PORT="+port, "USER=awa")
	w.subst = strings.NewReplacer(w.pairs()...)
	return w
}

// pairs are the substitutions of every block: the documents' machine
// paths and hub address, mapped into the test.
func (w *docWalk) pairs() []string {
	port := ""
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "CASENODE_TEST_PORT="); ok {
			port = v
		}
	}
	return []string{"/srv/", w.work + "/srv/", "hub.wacap.example:4222", "127.0.0.1:" + port, "0.0.0.0:4222", "127.0.0.1:" + port}
}

// run runs block name and checks that its output holds want.
func (w *docWalk) run(name, want string) string {
	w.t.Helper()
	b := w.blocks[name]
	if b == nil {
		w.t.Fatalf("no walk block %q in the documents", name)
	}
	w.used[name] = true
	script := w.subst.Replace(b.commands)
	if b.background {
		cmd := exec.Command("bash", "-c", "exec "+script)
		cmd.Dir, cmd.Env = w.work, w.env
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			w.t.Fatalf("%s %s: %v", b.doc, name, err)
		}
		w.bg = append(w.bg, cmd)
		w.t.Cleanup(func() {
			if w.t.Failed() {
				w.t.Logf("%s %s (background) logged:\n%s", b.doc, name, log.String())
			}
		})
		return ""
	}
	out := w.bash(script)
	if want != "" && !strings.Contains(out, want) {
		w.t.Fatalf("%s, block %s:\n%s\noutput lacks %q:\n%s", b.doc, name, script, want, out)
	}
	w.ran = append(w.ran, name)
	return out
}

// bash runs a script in the walk's directory; it must succeed.
func (w *docWalk) bash(script string) string {
	w.t.Helper()
	sh := exec.Command("bash", "-euo", "pipefail", "-c", script)
	sh.Dir, sh.Env = w.work, w.env
	out, err := sh.CombinedOutput()
	if err != nil {
		w.t.Fatalf("after %v:\n%s\nfailed: %v\n%s", w.ran, script, err, out)
	}
	return string(out)
}

// shell plays a step the documents leave to people (a handover).
func (w *docWalk) shell(script string) { w.t.Helper(); w.bash(script) }

// otherAgency sets up another agency of the network with the same
// commands, and runs its node if run.
func (w *docWalk) otherAgency(id, country string, run bool) {
	w.t.Helper()
	dir := map[string]string{"gh-ag": "accra", "ne-mj": "niamey"}[id]
	hub := w.subst.Replace("/srv/casenode-hub")
	w.bash(fmt.Sprintf(`casenode init --dir %[1]s --network wacap --agency %[2]s --name %[2]s --country %[3]s
casenode member add --dir %[4]s %[1]s/member.json
casenode join --dir %[1]s --hub %[5]s --creds %[4]s/creds/%[2]s.creds --secretariat %[4]s/secretariat/member.json`,
		dir, id, country, hub, w.subst.Replace("nats://hub.wacap.example:4222")))
	if run {
		cmd := exec.Command("casenode", "run", "--dir", dir)
		cmd.Dir, cmd.Env = w.work, w.env
		cmd.Path = w.lookPath()
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			w.t.Fatal(err)
		}
		w.bg = append(w.bg, cmd)
	}
}

func (w *docWalk) lookPath() string {
	for _, kv := range w.env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			return filepath.Join(strings.Split(v, string(os.PathListSeparator))[0], "casenode")
		}
	}
	return "casenode"
}

// waitPort waits until the hub listens.
func (w *docWalk) waitPort() {
	w.t.Helper()
	addr := strings.TrimPrefix(w.subst.Replace("hub.wacap.example:4222"), "nats://")
	w.poll("the hub to listen on "+addr, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// waitOnline waits until the node of dir is online with a roster.
func (w *docWalk) waitOnline(dir string) {
	w.t.Helper()
	w.waitFor(dir+" online", "casenode status --dir "+dir, "this agency: active")
}

// waitFor polls a command until its output holds want.
func (w *docWalk) waitFor(what, script, want string) {
	w.t.Helper()
	w.poll(what, func() bool {
		sh := exec.Command("bash", "-c", script)
		sh.Dir, sh.Env = w.work, w.env
		out, _ := sh.CombinedOutput()
		return strings.Contains(string(out), want)
	})
}

func (w *docWalk) poll(what string, cond func() bool) {
	w.t.Helper()
	poll.Until(w.t, 60*time.Second, fmt.Sprintf("%s (after %v)", what, w.ran), cond)
}

// stop ends the background processes, nodes first, and waits for them.
func (w *docWalk) stop() {
	for i := len(w.bg) - 1; i >= 0; i-- {
		c := w.bg[i]
		syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}
