package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Witnesses (C2SP tlog-witness): the hub, and in time other members, cosign
// the checkpoints of every member's audit log after checking that each one
// extends the last one they cosigned. A node asks for a cosignature on
// WitnessSubject; the witnesses' public keys are in the roster
// (Roster.Witnesses), as C2SP signed-note verifier keys of the Ed25519
// cosignature/v1 type (C2SP tlog-cosignature).

// WitnessSubject is the subject on which agency asks the hub's witness to
// cosign a checkpoint of its own log: casenet.<network>.witness.<agency>.
// The witness takes the requester from the last token, which the agency's
// permissions bind to its own id.
func WitnessSubject(network, agency string) string {
	return "casenet." + network + ".witness." + agency
}

// WitnessFilter matches every agency's witness subject.
func WitnessFilter(network string) string { return "casenet." + network + ".witness.*" }

// WitnessRequester returns the agency of a witness subject of network; ok
// is false when subject is not one.
func WitnessRequester(network, subject string) (agency string, ok bool) {
	agency, ok = strings.CutPrefix(subject, "casenet."+network+".witness.")
	if !ok || !isID(agency) {
		return "", false
	}
	return agency, true
}

// HubWitnessName is the cosigner name of the hub's witness key:
// casenode/<network>/witness/hub. No log's origin (casenode/<network>/<agency>)
// can be equal to it.
func HubWitnessName(network string) string { return "casenode/" + network + "/witness/hub" }

// WitnessBucket is the hub's key-value bucket of the latest checkpoint it
// cosigned for each agency, keyed by agency id.
func WitnessBucket(network string) string { return "casenet-" + network + "-witness" }

// WitnessAlarmBucket is the hub's key-value bucket of the forks and
// rollbacks its witness saw, each with both checkpoints as evidence.
func WitnessAlarmBucket(network string) string { return "casenet-" + network + "-witness-alarms" }

// WitnessResetBucket is the hub's key-value bucket of the resets of its
// witness's state that the secretariat ordered, keyed <agency>.<order id>,
// each with the signed order and what the witness forgot.
func WitnessResetBucket(network string) string { return "casenet-" + network + "-witness-resets" }

// CosignatureAlg is the signed-note signature type of an Ed25519
// cosignature/v1 (C2SP tlog-cosignature): it prefixes the public key in
// the key hash and in the verifier key.
const CosignatureAlg = 0x04

// MaxWitnesses bounds the witness keys a roster lists.
const MaxWitnesses = 16

// maxWitnessKeyLen bounds a witness verifier key: a name and 60 bytes.
const maxWitnessKeyLen = 256

// CosignatureKeyHash returns the key hash of an Ed25519 cosigner key under
// name: the first four bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x04 ‖
// key).
func CosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', CosignatureAlg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// WitnessKey returns the verifier key ("vkey") of an Ed25519 cosigner:
// <name>+<key hash in 8 hex digits>+<base64 of 0x04 ‖ key>.
func WitnessKey(name string, pub ed25519.PublicKey) string {
	return fmt.Sprintf("%s+%08x+%s", name, CosignatureKeyHash(name, pub),
		base64.StdEncoding.EncodeToString(append([]byte{CosignatureAlg}, pub...)))
}

// ParseWitnessKey decodes a witness verifier key strictly: a valid name, a
// key hash that matches, the Ed25519 cosignature type and a 32-byte key,
// every part in its one canonical spelling.
func ParseWitnessKey(vkey string) (name string, pub ed25519.PublicKey, err error) {
	if len(vkey) > maxWitnessKeyLen {
		return "", nil, fmt.Errorf("witness key is %d bytes, over the limit of %d", len(vkey), maxWitnessKeyLen)
	}
	// The name holds no "+"; the base64 key may.
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash, key, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 {
		return "", nil, fmt.Errorf("witness key %q: want NAME+HASH+KEY", vkey)
	}
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", nil, fmt.Errorf("witness key %q: invalid name", vkey)
	}
	h, err := strconv.ParseUint(hash, 16, 32)
	if err != nil || len(hash) != 8 || fmt.Sprintf("%08x", h) != hash {
		return "", nil, fmt.Errorf("witness key %q: invalid key hash", vkey)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(key)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(raw) != key {
		return "", nil, fmt.Errorf("witness key %q: the key must be base64 of 33 bytes", vkey)
	}
	if raw[0] != CosignatureAlg {
		return "", nil, fmt.Errorf("witness key %q: type 0x%02x, want 0x%02x (Ed25519 cosignature/v1)", vkey, raw[0], CosignatureAlg)
	}
	pub = ed25519.PublicKey(bytes.Clone(raw[1:]))
	if uint32(h) != CosignatureKeyHash(name, pub) {
		return "", nil, fmt.Errorf("witness key %q: the key hash does not match the name and key", vkey)
	}
	return name, pub, nil
}

// validateWitnesses checks the roster's witness keys: each valid, no name
// twice, at most MaxWitnesses.
func (r *Roster) validateWitnesses() error {
	if len(r.Witnesses) > MaxWitnesses {
		return fmt.Errorf("roster.witnesses: %d keys, over the limit of %d", len(r.Witnesses), MaxWitnesses)
	}
	names := map[string]bool{}
	for i, w := range r.Witnesses {
		name, _, err := ParseWitnessKey(w)
		if err != nil {
			return fmt.Errorf("roster.witnesses[%d]: %w", i, err)
		}
		if names[name] {
			return fmt.Errorf("roster.witnesses[%d]: %q is listed twice", i, name)
		}
		names[name] = true
	}
	return nil
}

// LogOrigin is the origin of an agency's audit log, casenode/<network>/<agency>:
// the first line of its checkpoints and the name of the key that signs
// them.
func LogOrigin(network, agency string) string { return "casenode/" + network + "/" + agency }

// HasWitness reports whether the roster lists the witness verifier key vkey.
func (r *Roster) HasWitness(vkey string) bool {
	for _, w := range r.Witnesses {
		if w == vkey {
			return true
		}
	}
	return false
}
