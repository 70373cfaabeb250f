package main

import (
	"os"
	"strconv"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCommands are the extra commands the CLI scripts may use. Helpers for
// other areas add theirs here.
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"filemode": cmdFilemode,
		"kid":      cmdKid,
		"freeport": cmdFreeport,
		"poll":     cmdPoll,
		"terminal": cmdTerminal,
	}
}

// filemode PERM FILE asserts the permission bits of FILE (octal).
func cmdFilemode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: filemode PERM FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("bad mode %q", args[0])
	}
	st, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := uint64(st.Mode().Perm())
	if (got == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// kid CARD NAME sets $NAME to the signing key id of the member card CARD.
func cmdKid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: kid CARD NAME")
	}
	c, err := identity.LoadCard(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Setenv(args[1], c.KeyID())
}
