package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/casenode/casenode/crypto/identity"
	"golang.org/x/term"
)

// passphraseEnv names the environment variable a passphrase may come from.
// Passphrases never come from the command line, where other users of the
// machine could read them.
const passphraseEnv = "CASENODE_PASSPHRASE"

// credentialName is the systemd credential a passphrase may come from:
// a service started with LoadCredentialEncrypted=passphrase:… finds it,
// decrypted, as $CREDENTIALS_DIRECTORY/passphrase, readable by the service
// alone (systemd.exec(5)).
const credentialName = "passphrase"

// maxPassphraseFile bounds a passphrase read from a credential file.
const maxPassphraseFile = 4 << 10

// passphraseSource reads a passphrase from, in order: $CASENODE_PASSPHRASE,
// the systemd credential "passphrase" ($CREDENTIALS_DIRECTORY/passphrase),
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
	if dir := s.e.getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		if p, err := readCredential(dir); err != nil || p != nil {
			return p, err
		}
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

// readCredential returns the passphrase credential in dir, or nil when
// the service was given none.
func readCredential(dir string) ([]byte, error) {
	f, err := os.Open(filepath.Join(dir, credentialName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the passphrase credential: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	if err != nil {
		return nil, fmt.Errorf("read the passphrase credential: %w", err)
	}
	if len(b) > maxPassphraseFile {
		return nil, fmt.Errorf("the passphrase credential %s is over %d bytes: is it the right file?", f.Name(), maxPassphraseFile)
	}
	p := bytes.TrimRight(b, "\r\n")
	if len(p) == 0 {
		return nil, withHint(fmt.Errorf("the passphrase credential %s is empty", f.Name()), "encrypt the passphrase with 'systemd-creds encrypt --name=passphrase FILE OUT' and name OUT in LoadCredentialEncrypted=")
	}
	return p, nil
}
