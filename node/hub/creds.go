package hub

import (
	"bytes"
	"fmt"
	"time"

	"github.com/nats-io/nkeys"
)

// newUser creates a NATS NKey user. It returns the public key the hub
// configures and the credentials file its holder connects with.
func newUser(comment string) (pub string, creds []byte, err error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return "", nil, fmt.Errorf("create NKey user: %w", err)
	}
	defer kp.Wipe()
	pub, err = kp.PublicKey()
	if err != nil {
		return "", nil, fmt.Errorf("create NKey user: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return "", nil, fmt.Errorf("create NKey user: %w", err)
	}
	return pub, credsFile(comment, pub, seed), nil
}

// credsFile formats a credentials file: comment lines, then the seed in the
// decorated form that nats.NkeyOptionFromSeed and the nats CLI (--nkey) read.
func credsFile(comment, pub string, seed []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n", comment)
	fmt.Fprintf(&b, "# NATS user %s\n", pub)
	fmt.Fprintf(&b, "# SECRET: whoever holds this file connects to the hub as its owner.\n")
	fmt.Fprintf(&b, "# Keep it with mode 0600. Hand it over out of band, never by unencrypted e-mail.\n")
	fmt.Fprintf(&b, "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", seed)
	return b.Bytes()
}

// agencyComment is the first line of an agency's credentials file.
func agencyComment(network, agency string, now time.Time) string {
	return fmt.Sprintf("casenode credentials of agency %s in network %s, issued %s", agency, network, now.UTC().Format(time.RFC3339))
}
