package agency

import (
	"fmt"

	"github.com/casenode/casenode/crypto/identity"
)

// ident returns the agency's identity as the node last loaded it.
func (n *Node) ident() *identity.Identity { return n.keys.Load() }

// keyFor returns the agency's identity that holds signing key kid. When
// the node does not hold it — the agency ran 'casenode keys rotate' while
// the node was running, and the secretariat has installed the new card —
// it loads the keys from its directory again, so that the node signs and
// decrypts with the new keys without a restart. It returns nil if the
// directory does not hold the key either.
func (n *Node) keyFor(kid string) (*identity.Identity, error) {
	if id := n.ident().ForKey(kid); id != nil {
		return id, nil
	}
	n.keysMu.Lock()
	defer n.keysMu.Unlock()
	if id := n.ident().ForKey(kid); id != nil {
		return id, nil
	}
	fresh, err := identity.LoadAll(n.dir, n.o.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("load the agency's keys again from %s: %w", n.dir, err)
	}
	if fresh.Network() != n.cfg.Network || fresh.Agency() != n.cfg.Agency {
		return nil, fmt.Errorf("%s now holds the identity of agency %q of network %q, not %q of %q", n.dir, fresh.Agency(), fresh.Network(), n.cfg.Agency, n.cfg.Network)
	}
	id := fresh.ForKey(kid)
	if id == nil {
		return nil, nil
	}
	n.keys.Store(fresh)
	n.log.Info("took the agency's new keys from its directory", "kid", fresh.KeyID())
	return id, nil
}

// holdsKey reports whether the agency holds signing key kid, which roster
// serial lists as its own, loading its keys again if needed; when it does
// not, it raises an alarm, since the node cannot send.
func (n *Node) holdsKey(serial uint64, kid string) bool {
	id, err := n.keyFor(kid)
	if id != nil {
		return true
	}
	what := fmt.Sprintf("roster serial %d lists signing key %s for this agency, which %s does not hold: the node cannot send", serial, kid, n.dir)
	if err != nil {
		what += " (" + err.Error() + ")"
	}
	n.alarms.raiseKind(AlarmOwnKey, what)
	return false
}
