package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/casenode/casenode/crypto/identity"
	"golang.org/x/term"
)

// passphraseEnv names the environment variable a passphrase may come from.
// Passphrases never come from the command line, where other users of the
// machine could read them.
const passphraseEnv = "CASENODE_PASSPHRASE"

// passphraseSource reads a passphrase from, in order: $CASENODE_PASSPHRASE,
// standard input (with --passphrase-stdin), or a prompt on the terminal.
type passphraseSource struct {
	e         *env
	fromStdin bool
}

// get returns the passphrase; confirm asks for it twice at a prompt.
func (s *passphraseSource) get(confirm bool) ([]byte, error) {
	if p := s.e.getenv(passphraseEnv); p != "" {
		return []byte(p), nil
	}
	if s.fromStdin {
		line, err := bufio.NewReader(s.e.stdin).ReadBytes('\n')
		if err != nil && len(line) == 0 {
			return nil, fmt.Errorf("read passphrase from stdin: %w", err)
		}
		p := bytes.TrimRight(line, "\r\n")
		if len(p) == 0 {
			return nil, errors.New("empty passphrase on stdin")
		}
		return p, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return nil, withHint(errors.New("a passphrase is needed and there is no terminal to ask for it"),
			"set $%s, or pass --passphrase-stdin and write it to standard input", passphraseEnv)
	}
	defer tty.Close()
	fmt.Fprint(tty, "Passphrase: ")
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if confirm {
		fmt.Fprint(tty, "Confirm passphrase: ")
		again, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if !bytes.Equal(p, again) {
			return nil, errors.New("the passphrases do not match")
		}
	}
	return p, nil
}

// remembered returns a passphrase function that asks once and then gives
// the same passphrase again: a running node needs it again when it takes
// the agency's new keys after 'casenode keys rotate', when standard input
// is spent and no one may be at a terminal.
func (s *passphraseSource) remembered() identity.PassphraseFunc {
	var mu sync.Mutex
	var kept []byte
	return func() ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if kept == nil {
			p, err := s.get(false)
			if err != nil {
				return nil, err
			}
			kept = bytes.Clone(p)
		}
		return bytes.Clone(kept), nil
	}
}
