package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

func runCompletion(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "completion", "bash|zsh|fish")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("completion", "name one shell: bash, zsh or fish")
	}
	tree := cliTree()
	switch fs.Arg(0) {
	case "bash":
		writeBashCompletion(e.stdout, tree)
	case "zsh":
		// zsh runs bash completion functions through bashcompinit.
		fmt.Fprintf(e.stdout, "#compdef casenode\nautoload -U +X bashcompinit && bashcompinit\n")
		writeBashCompletion(e.stdout, tree)
	case "fish":
		writeFishCompletion(e.stdout, tree)
	default:
		return usageErrorf("completion", "unknown shell %q: the shells are bash, zsh and fish", fs.Arg(0))
	}
	return nil
}

// completionTable is what a completion script needs of the tree: per
// command path ("" for the top), the words that may follow and the flags;
// and the flags that take a value, as "PATH:--NAME".
type completionTable struct {
	paths      []string
	words      map[string][]string
	flags      map[string][]string
	valueFlags []string
}

func newCompletionTable(tree []*cmdNode) *completionTable {
	t := &completionTable{words: map[string][]string{}, flags: map[string][]string{}}
	var walk func(parent string, ns []*cmdNode)
	walk = func(parent string, ns []*cmdNode) {
		for _, n := range ns {
			p := n.name()
			t.paths = append(t.paths, p)
			t.words[parent] = append(t.words[parent], n.path[len(n.path)-1])
			for _, f := range n.flags {
				t.flags[p] = append(t.flags[p], "--"+f.Name)
				if valueFlag(f) {
					t.valueFlags = append(t.valueFlags, p+":--"+f.Name, p+":-"+f.Name)
				}
			}
			walk(p, n.sub)
		}
	}
	t.paths = append(t.paths, "")
	walk("", tree)
	sort.Strings(t.paths)
	return t
}

func writeBashCompletion(w io.Writer, tree []*cmdNode) {
	t := newCompletionTable(tree)
	fmt.Fprintf(w, `# bash completion for casenode, made by 'casenode completion bash' from the
# command line's own definitions. Install: copy to
# /usr/share/bash-completion/completions/casenode, or source it.
_casenode() {
	local cur=${COMP_WORDS[COMP_CWORD]} path="" w i skip=0 words="" flags=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((skip)); then skip=0; continue; fi
		case $w in
		-*=*) continue ;;
		-*)
			case "$path:$w" in
			%s) skip=1 ;;
			esac
			continue ;;
		esac
		case "${path:+$path }$w" in
		%s) path="${path:+$path }$w" ;;
		esac
	done
	case $path in
`, bashAlternatives(t.valueFlags), bashAlternatives(t.paths[1:]))
	for _, p := range t.paths {
		fmt.Fprintf(w, "\t%s) words=%q; flags=%q ;;\n", bashQuote(p), strings.Join(t.words[p], " "), strings.Join(t.flags[p], " "))
	}
	fmt.Fprintf(w, `	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	elif [[ -n $words ]]; then
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _casenode casenode
`)
}

// bashAlternatives joins words as the alternatives of a case pattern,
// each quoted.
func bashAlternatives(words []string) string {
	q := make([]string, len(words))
	for i, s := range words {
		q[i] = bashQuote(s)
	}
	if len(q) == 0 {
		return "''"
	}
	return strings.Join(q, "|")
}

// bashQuote quotes s for a case pattern: the CLI's names hold only
// letters, digits, '-' and spaces.
func bashQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func writeFishCompletion(w io.Writer, tree []*cmdNode) {
	t := newCompletionTable(tree)
	fmt.Fprintf(w, `# fish completion for casenode, made by 'casenode completion fish' from the
# command line's own definitions. Install: copy to
# /usr/share/fish/vendor_completions.d/casenode.fish.
function __casenode_path
	set -l toks (commandline -opc)
	set -e toks[1]
	set -l path ''
	set -l skip 0
	for t in $toks
		if test $skip = 1
			set skip 0
			continue
		end
		if string match -q -- '-*=*' $t
			continue
		end
		if string match -q -- '-*' $t
			if contains -- "$path:$t" %s
				set skip 1
			end
			continue
		end
		set -l next (string trim -- "$path $t")
		if contains -- $next %s
			set path $next
		end
	end
	echo $path
end
complete -c casenode -f
`, fishList(t.valueFlags), fishList(t.paths[1:]))
	var walk func(parent string, ns []*cmdNode)
	walk = func(parent string, ns []*cmdNode) {
		for _, n := range ns {
			fmt.Fprintf(w, "complete -c casenode -n 'test (__casenode_path) = %s' -a %s -d %s\n", fishQuote(parent), fishQuote(n.path[len(n.path)-1]), fishQuote(n.summary))
			for _, f := range n.flags {
				r := ""
				if valueFlag(f) {
					r = " -r -F"
				}
				fmt.Fprintf(w, "complete -c casenode -n 'test (__casenode_path) = %s' -l %s%s -d %s\n", fishQuote(n.name()), f.Name, r, fishQuote(firstLine(f.Usage)))
			}
			walk(n.name(), n.sub)
		}
	}
	walk("", tree)
}

func fishList(words []string) string {
	q := make([]string, len(words))
	for i, s := range words {
		q[i] = fishQuote(s)
	}
	return strings.Join(q, " ")
}

// fishQuote quotes s in double quotes for fish. In a single-quoted
// condition it serves the command paths, which hold no quote.
func fishQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}

// firstLine returns the first line of a flag's usage.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
