package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript scripts run this binary as the "casenode"
// command, in-process, without building it first.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"casenode": func() { os.Exit(run(os.Args[1:], newEnv())) },
	})
}

// TestScripts runs the CLI scripts in testdata/*.txtar: each asserts exit
// codes and output of real commands on real files.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("CASENODE_PASSPHRASE", "")
			// The checkout, for the scripts that run its Makefile.
			repo, err := filepath.Abs(filepath.Join("..", ".."))
			env.Setenv("REPO", repo)
			return err
		},
		Cmds: scriptCommands(),
	})
}
