package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func contactsVerbs() []nounVerb {
	return []nounVerb{
		{"publish", "publish the agency's contact card to every member", runContactsPublish},
		{"list", "list the contact directory: the newest card of each agency", runContactsList},
	}
}

func runContacts(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "contacts", contactsVerbs(), args)
}

func runContactsPublish(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "contacts publish", "")
	var cf clientFlags
	cf.register(fs)
	in := fs.String("in", "", "the agency's contact card, a JSON file ('-' for standard input); 'casenode example contact.card' prints one")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *in == "" {
		return usageErrorf("contacts publish", "--in is required")
	}
	card, err := readJSONInput(e, *in, "contact card", protocol.MaxBodySize, "'casenode example contact.card' prints a valid card to start from")
	if err != nil {
		return err
	}
	c, err := cf.client(e, "contacts publish")
	if err != nil {
		return err
	}
	res, err := c.PublishContact(ctx, card)
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, res)
	}
	fmt.Fprintln(e.stdout, res.ID)
	return nil
}

func runContactsList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "contacts list", "")
	var cf clientFlags
	cf.register(fs)
	country := fs.String("country", "", "only agencies of this country (ISO 3166-1 alpha-2, e.g. SN)")
	role := fs.String("role", "", "only contacts with this role: focal-point, central-authority, prosecutor, liaison-magistrate, secretariat")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	c, err := cf.client(e, "contacts list")
	if err != nil {
		return err
	}
	l, err := c.Contacts(ctx, agency.ContactQuery{Country: countryCode(*country), Role: protocol.ContactRole(*role)})
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, l.Contacts)
	}
	if len(l.Contacts) == 0 {
		fmt.Fprintln(e.stdout, "no contact cards")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENCY\tCOUNTRY\tROLE\tNAME\tLANGUAGES\tPHONE\tEMAIL\tUPDATED")
	for _, ct := range l.Contacts {
		for _, p := range ct.Card.Contacts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ct.Card.Agency, ct.Card.Country, p.Role, p.Name,
				strings.Join(p.Languages, ","), orDash(p.Phone), orDash(p.Email), when(ct.Card.Updated.Time))
		}
	}
	return tw.Flush()
}
