package agency

import "fmt"

// SignerError is a roster signed by another key than the secretariat key
// pinned in node.json: typically --secretariat was another network's (or
// another hub's) card when the agency joined.
type SignerError struct {
	// KeyID is the key that signed the roster; Pinned the key node.json
	// pins.
	KeyID, Pinned string
}

func (e *SignerError) Error() string {
	return fmt.Sprintf("roster signed by key %s, not the pinned secretariat key %s", e.KeyID, e.Pinned)
}
