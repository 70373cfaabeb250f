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
		return n.ident(), nil
	}
	m := rf.roster.Member(n.cfg.Agency)
	if m == nil {
		return n.ident(), nil
	}
	id, err := n.keyFor(m.Card.KeyID())
	if err != nil {
		return nil, notReady("check the key files in "+n.dir+": 'casenode keys list --dir "+n.dir+"'", "roster serial %d lists signing key %s for agency %s: %v", rf.roster.Serial, m.Card.KeyID(), n.cfg.Agency, err)
	}
	if id != nil {
		return id, nil
	}
	return nil, notReady("the roster lists a key this agency's directory does not hold: run 'casenode keys list --dir "+n.dir+"' and give the secretariat the member.json of the current key",
		"roster serial %d lists signing key %s for agency %s, which %s does not hold", rf.roster.Serial, m.Card.KeyID(), n.cfg.Agency, n.dir)
}
