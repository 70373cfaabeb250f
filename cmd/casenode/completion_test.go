package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLITree: the tree the completion scripts and the manual are made of
// holds every command, the verbs of the noun commands and their flags, as
// the commands define them.
func TestCLITree(t *testing.T) {
	byName := map[string]*cmdNode{}
	var walk func(ns []*cmdNode)
	walk = func(ns []*cmdNode) {
		for _, n := range ns {
			byName[n.name()] = n
			walk(n.sub)
		}
	}
	walk(cliTree())
	for _, c := range commands() {
		if byName[c.name] == nil {
			t.Errorf("command %q missing from the tree", c.name)
		}
	}
	hasFlag := func(path, name string, value bool) {
		t.Helper()
		n := byName[path]
		if n == nil {
			t.Fatalf("%q missing from the tree", path)
		}
		for _, f := range n.flags {
			if f.Name == name {
				if valueFlag(f) != value {
					t.Errorf("%s --%s: takes a value %v, want %v", path, name, valueFlag(f), value)
				}
				return
			}
		}
		t.Errorf("%s has no flag --%s among %d", path, name, len(n.flags))
	}
	hasFlag("send", "to", true)
	hasFlag("send", "json", false)
	hasFlag("member revoke", "dir", true)
	hasFlag("audit verify", "db", true)
	if n := byName["member"]; len(n.sub) < 4 || len(n.flags) != 0 {
		t.Errorf("member: %d verbs, %d flags", len(n.sub), len(n.flags))
	}
	if n := byName["member revoke"]; n.args != "AGENCY" {
		t.Errorf("member revoke's arguments %q", n.args)
	}
}

// complete runs the bash completion function on words (the last one being
// completed) and returns the candidates.
func complete(t *testing.T, script string, words ...string) []string {
	t.Helper()
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c", `source "$1"; COMP_WORDS=(`+strings.Join(quoted, " ")+`); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _casenode; printf '%s\n' "${COMPREPLY[@]}"`, "bash", script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("complete %q: %v\n%s", words, err, out)
	}
	return strings.Fields(string(out))
}

// TestBashCompletion sources the script 'casenode completion bash' prints
// in a real bash and completes commands, verbs and flags, past flags
// that take values.
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	code, out, errOut := runCLI(t, "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	script := filepath.Join(t.TempDir(), "casenode.bash")
	if err := os.WriteFile(script, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"casenode", "me"}, "member"},
		{[]string{"casenode", "member", "re"}, "revoke"},
		{[]string{"casenode", "member", "revoke", "gh-ag-accra", "--pa"}, "--passphrase-stdin"},
		// --dir takes a value: "x" is not a verb, the path stays "audit verify".
		{[]string{"casenode", "audit", "verify", "--db", "x", "--skip"}, "--skip-messages"},
		{[]string{"casenode", "send", "--to", "ng-ag-abuja", "--ca"}, "--case"},
		{[]string{"casenode", "completion", "--"}, ""},
	} {
		got := complete(t, script, c.words...)
		if c.want == "" {
			if len(got) != 0 {
				t.Errorf("%q completes to %q, want nothing", c.words, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%q completes to %q, want %q", c.words, got, c.want)
		}
	}
	verbs := complete(t, script, "casenode", "hub", "")
	if !strings.Contains(" "+strings.Join(verbs, " ")+" ", " run ") || strings.Contains(strings.Join(verbs, " "), "member") {
		t.Errorf("hub's verbs complete to %q", verbs)
	}
}

// TestOtherShellsCompletion: the zsh and fish scripts parse in their
// shells where installed, and name every command.
func TestOtherShellsCompletion(t *testing.T) {
	for _, sh := range []string{"zsh", "fish"} {
		code, out, errOut := runCLI(t, "completion", sh)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", sh, code, errOut)
		}
		for _, c := range commands() {
			if !strings.Contains(out, c.name) {
				t.Errorf("%s script lacks %q", sh, c.name)
			}
		}
		if _, err := exec.LookPath(sh); err != nil {
			continue
		}
		f := filepath.Join(t.TempDir(), "casenode."+sh)
		os.WriteFile(f, []byte(out), 0o644)
		if out, err := exec.Command(sh, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
	if code, _, errOut := runCLI(t, "completion", "tcsh"); code != exitUsage || !strings.Contains(errOut, `unknown shell "tcsh"`) {
		t.Errorf("tcsh: exit %d, %s", code, errOut)
	}
}

// TestManPage: 'casenode man' documents every command and verb with its
// flags, and renders without a warning where groff is installed.
func TestManPage(t *testing.T) {
	code, out, errOut := runCLI(t, "man")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, ".TH CASENODE 1 ") {
		t.Fatalf("no title line: %.80q", out)
	}
	for _, sec := range []string{".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", ".SH ENVIRONMENT", ".SH EXIT STATUS"} {
		if !strings.Contains(out, "\n"+sec+"\n") {
			t.Errorf("no %s section", sec)
		}
	}
	for _, want := range []string{`.SS "casenode member revoke AGENCY"`, `\fB\-\-passphrase\-stdin\fR`, `.SS "casenode audit verify"`, `\fB\-\-db\fR \fIstring\fR`} {
		if !strings.Contains(out, want) {
			t.Errorf("manual lacks %s", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "'") {
			t.Errorf("line starts with a control character: %q", line)
		}
	}
	if _, err := exec.LookPath("groff"); err != nil {
		return
	}
	cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff: %v\n%s", err, stderr.String())
	}
}
