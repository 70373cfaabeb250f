package main

import (
	"context"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

func runKeysList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "keys list", "")
	dir := fs.String("dir", "", "the agency's directory (from 'casenode init')")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *dir == "" {
		return usageErrorf("keys list", "--dir is required")
	}
	cur, err := identity.LoadCard(filepath.Join(*dir, identity.CardFile))
	if err != nil {
		return withHintIfMissing(err, "is --dir the directory 'casenode init' created?")
	}
	prev, err := identity.PreviousCards(*dir)
	if err != nil {
		return err
	}
	if *asJSON {
		type key struct {
			KeyID   string        `json:"kid"`
			Created protocol.Time `json:"created"`
			State   string        `json:"state"`
		}
		out := struct {
			Agency  string `json:"agency"`
			Network string `json:"network"`
			Keys    []key  `json:"keys"`
			// PeerWitness is the verifier key of the agency's
			// cosignatures as a peer witness (its current key).
			PeerWitness string `json:"peer_witness_key"`
		}{cur.Agency, cur.Network, []key{{cur.KeyID(), cur.Created, "current"}}, peerWitnessKey(cur)}
		for _, c := range prev {
			out.Keys = append(out.Keys, key{c.KeyID(), c.Created, "previous"})
		}
		return printJSON(e, out)
	}
	fmt.Fprintf(e.stdout, "agency %s in network %s\n", cur.Agency, cur.Network)
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY ID\tCREATED\tSTATE")
	fmt.Fprintf(w, "%s\t%s\tcurrent\n", cur.KeyID(), cur.Created)
	for _, c := range prev {
		fmt.Fprintf(w, "%s\t%s\tprevious\n", c.KeyID(), c.Created)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "peer witness key: %s\n", peerWitnessKey(cur))
	return nil
}

// peerWitnessKey is the verifier key of the cosignatures the agency of
// card makes as a peer witness of other members' logs: its signing key
// under its peer witness name (an auditor's 'audit verify --witness-key').
func peerWitnessKey(card *protocol.MemberCard) string {
	return protocol.WitnessKey(protocol.PeerWitnessName(card.Network, card.Agency), card.PublicKey())
}
