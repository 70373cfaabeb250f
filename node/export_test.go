package node

import "context"

// OfferRoster offers a signed roster as if the hub served it.
func (n *Node) OfferRoster(ctx context.Context, signed []byte) error {
	return n.takeRoster(ctx, signed)
}
