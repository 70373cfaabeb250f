package hub

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/protocol"
)

// WitnessKeyFile is the hub's witness key in the hub directory: the
// Ed25519 seed with which the hub cosigns the members' checkpoints
// (secret, 0600). Its public key is in the roster (Roster.Witnesses).
const WitnessKeyFile = "witness.key"

// witnessKeyHeader is the first line of the witness key file: what it is
// and the version of its format.
const witnessKeyHeader = "casenode-witness-key/1\n"

// createWitnessKey makes a new witness key in dir, exclusively (an
// *ExistsError if there is one).
func createWitnessKey(dir string) error {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	data := []byte(witnessKeyHeader + base64.StdEncoding.EncodeToString(seed) + "\n")
	return writeExclusive(filepath.Join(dir, WitnessKeyFile), data, 0o600)
}

// loadWitnessKey reads the witness key of dir as the cosigner of network;
// with create, it first makes one if the directory has none (a hub
// initialised before witnesses existed), and says so.
func loadWitnessKey(dir, network string, create bool) (c *witness.Cosigner, created bool, err error) {
	path := filepath.Join(dir, WitnessKeyFile)
	if create {
		err := createWitnessKey(dir)
		var exists *ExistsError
		switch {
		case err == nil:
			created = true
		case !errors.As(err, &exists):
			return nil, false, fmt.Errorf("create the witness key: %w", err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("witness key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("witness key %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("witness key: %w", err)
	}
	b64, ok := bytes.CutPrefix(data, []byte(witnessKeyHeader))
	b64, ok2 := bytes.CutSuffix(b64, []byte("\n"))
	seed, err := base64.StdEncoding.Strict().DecodeString(string(b64))
	if !ok || !ok2 || err != nil || len(seed) != ed25519.SeedSize {
		return nil, false, fmt.Errorf("witness key %s: not a casenode witness key", path)
	}
	c, err = witness.NewCosigner(protocol.HubWitnessName(network), ed25519.NewKeyFromSeed(seed))
	if err != nil {
		return nil, false, err
	}
	return c, created, nil
}

// withHubWitness returns the witness keys of r with the hub's key vkey in
// place of any other key of the hub's witness name, sorted.
func withHubWitness(r *protocol.Roster, vkey string) []string {
	name := protocol.HubWitnessName(r.Network)
	out := []string{vkey}
	for _, w := range r.Witnesses {
		if n, _, err := protocol.ParseWitnessKey(w); err == nil && n != name {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// WitnessKey returns the verifier key of the hub witness of the hub
// directory dir, as the roster lists it.
func WitnessKey(dir, network string) (string, error) {
	c, _, err := loadWitnessKey(dir, network, false)
	if err != nil {
		return "", err
	}
	return c.VerifierKey(), nil
}
