package main

import (
	"strings"
	"testing"
	"time"
)

// TestPassphraseRemembered: the node asks for the passphrase again when it
// takes its new keys; standard input is spent by then, so the passphrase
// read at start is given again, and a caller that wipes its copy does not
// wipe the kept one.
func TestPassphraseRemembered(t *testing.T) {
	e := &env{stdin: strings.NewReader("correct horse\n"), getenv: func(string) string { return "" }, now: time.Now}
	get := (&passphraseSource{e: e, fromStdin: true}).remembered()
	for i := range 3 {
		p, err := get()
		if err != nil || string(p) != "correct horse" {
			t.Fatalf("call %d: %q, %v", i, p, err)
		}
		clear(p)
	}
}
