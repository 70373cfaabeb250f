package main

import (
	"bytes"
	"os"
	"path/filepath"
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

// TestPassphraseFromCredential: under systemd the passphrase comes from
// the credential file "passphrase" in $CREDENTIALS_DIRECTORY, before
// standard input; a directory without it falls through to stdin; an
// empty or oversized credential is an error naming the file.
func TestPassphraseFromCredential(t *testing.T) {
	dir := t.TempDir()
	get := func(credDir string) ([]byte, error) {
		e := &env{stdin: strings.NewReader("from stdin\n"), now: time.Now, getenv: func(k string) string {
			if k == "CREDENTIALS_DIRECTORY" {
				return credDir
			}
			return ""
		}}
		return (&passphraseSource{e: e, fromStdin: true}).get(false)
	}
	if p, err := get(dir); err != nil || string(p) != "from stdin" {
		t.Errorf("no credential: %q, %v", p, err)
	}
	file := filepath.Join(dir, "passphrase")
	os.WriteFile(file, []byte("from systemd\n"), 0o600)
	if p, err := get(dir); err != nil || string(p) != "from systemd" {
		t.Errorf("credential: %q, %v", p, err)
	}
	os.WriteFile(file, []byte("\n"), 0o600)
	if _, err := get(dir); err == nil || !strings.Contains(err.Error(), file+" is empty") {
		t.Errorf("empty credential: %v", err)
	}
	os.WriteFile(file, bytes.Repeat([]byte("x"), maxPassphraseFile+1), 0o600)
	if _, err := get(dir); err == nil || !strings.Contains(err.Error(), "over 4096 bytes") {
		t.Errorf("oversized credential: %v", err)
	}
}
