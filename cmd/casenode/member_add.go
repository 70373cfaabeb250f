package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/hub"
)

func runMemberAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "member add", "CARD.json")
	var d hubDirFlags
	d.register(fs, true)
	credsOut := fs.String("creds-out", "", "where to write the agency's hub credentials (default DIR/creds/AGENCY.creds); never overwritten")
	clientCert := fs.Bool("client-cert", false, "also issue a client certificate of the network CA next to the credentials (always done when hub.json has tls.verify_clients)")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if err := d.check("member add"); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("member add", "give exactly one member card file (the agency's member.json)")
	}
	card, err := identity.LoadCard(fs.Arg(0))
	if err != nil {
		return withHintIfMissing(err, "a member card is the member.json that 'casenode init' writes in the agency's directory")
	}
	s, err := hub.OpenSecretariat(d.dir, d.passphrase(e))
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	defer s.Close()
	ad, err := s.Admit(card, hub.AdmitOptions{CredsOut: *credsOut, ClientCert: *clientCert}, e.now())
	if err != nil {
		return err
	}
	sr := ad.Roster
	res := memberAdded{Agency: card.Agency, Name: card.Name, Country: card.Country, Network: sr.Roster.Network, Serial: sr.Roster.Serial,
		KeyID: card.KeyID(), Credentials: ad.Credentials, SecretariatKeyID: sr.Roster.Member(sr.Roster.Secretariat).Card.KeyID(),
		ClientCert: ad.ClientCert, ClientKey: ad.ClientKey, NetworkCA: ad.NetworkCA}
	if *asJSON {
		return printJSON(e, res)
	}
	fmt.Fprintf(e.stdout, "admitted %s (%s, %s) to network %s: roster serial %d\n", res.Agency, res.Name, res.Country, res.Network, res.Serial)
	fmt.Fprintf(e.stdout, "  signing key id: %s\n", res.KeyID)
	fmt.Fprintf(e.stdout, "  credentials:    %s  (secret: hand it to the agency out of band, then delete it here)\n", res.Credentials)
	if res.ClientCert != "" {
		fmt.Fprintf(e.stdout, "  client cert:    %s, %s  (mutual TLS; hand both over with the credentials: the key is secret)\n", res.ClientCert, res.ClientKey)
	}
	if res.NetworkCA != "" {
		fmt.Fprintf(e.stdout, "  network CA:     %s  (public: the agency's node trusts it for the hub)\n", res.NetworkCA)
	}
	fmt.Fprintf(e.stdout, "  the agency pins the secretariat key %s\n", res.SecretariatKeyID)
	fmt.Fprintf(e.stdout, "a running hub applies the new roster within seconds\n")
	return nil
}

// memberAdded is what 'member add' did, as --json prints it.
type memberAdded struct {
	Agency           string `json:"agency"`
	Name             string `json:"name"`
	Country          string `json:"country"`
	Network          string `json:"network"`
	Serial           uint64 `json:"serial"`
	KeyID            string `json:"kid"`
	Credentials      string `json:"credentials"`
	ClientCert       string `json:"client_cert,omitempty"`
	ClientKey        string `json:"client_key,omitempty"`
	NetworkCA        string `json:"network_ca,omitempty"`
	SecretariatKeyID string `json:"secretariat_kid"`
}
