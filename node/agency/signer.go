package agency

import (
	"sync"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
)

// sealers keeps one seal.Sealer per signing key the node has used, since
// a Sealer caches the recipients it parsed, and gives them the recipients
// the node parsed when it verified the roster in force.
type sealers struct {
	mu     sync.Mutex
	all    map[string]*seal.Sealer
	roster map[string]age.Recipient
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
		s.all[kid].Learn(s.roster)
	}
	return s.all[kid]
}

// learn gives the sealers the age recipients of a roster taken, parsed
// when it was verified (protocol.ParseRosterRecipients).
func (s *sealers) learn(parsed map[string]age.Recipient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roster = parsed
	for _, sl := range s.all {
		sl.Learn(parsed)
	}
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
