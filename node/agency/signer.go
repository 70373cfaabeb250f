package agency

import (
	"sync"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
)

// sealers keeps one seal.Sealer per signing key the node has used, since
// a Sealer caches the recipients it parsed.
type sealers struct {
	mu  sync.Mutex
	all map[string]*seal.Sealer
}

func (s *sealers) get(id *identity.Identity) *seal.Sealer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.all == nil {
		s.all = map[string]*seal.Sealer{}
	}
	kid := id.KeyID()
	if s.all[kid] == nil {
		s.all[kid] = seal.NewSealer(id)
	}
	return s.all[kid]
}

// signing returns the identity the agency signs with: the one whose key
// the roster in force lists for it. After 'casenode keys rotate' that is
// the previous key until the secretariat installs the new member card.
func (n *Node) signing() (*identity.Identity, error) {
	rf := n.rosterNow()
	if rf == nil {
		return n.id, nil
	}
	m := rf.roster.Member(n.cfg.Agency)
	if m == nil {
		return n.id, nil
	}
	if id := n.id.ForKey(m.Card.KeyID()); id != nil {
		return id, nil
	}
	return nil, notReady("ask the secretariat to install this agency's current member card ('casenode member rotate')",
		"roster serial %d lists signing key %s for agency %s, which %s does not hold", rf.roster.Serial, m.Card.KeyID(), n.cfg.Agency, n.dir)
}
