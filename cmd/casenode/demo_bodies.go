package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/casenode/casenode/protocol"
)

// The demo's network and its fictional members.
const (
	demoNetwork   = "wacap-demo"
	demoDakar     = "sn-pj-dakar"
	demoAccra     = "gh-ag-accra"
	demoAbuja     = "ng-mj-abuja"
	demoLeadCase  = "sn-pj-dakar-2025-0142"
	demoMLACase   = "gh-ag-accra-2025-0207"
	demoNGRefText = "NG-MLA-2025-0318"
)

// demoAgency is one fictional member of the demo's network, with the
// person who works at its node.
type demoAgency struct {
	id, name, country string
	// actor is the local user recorded in the audit log when she acts.
	actor string
}

// demoAgencies returns the three members, in the order they appear.
func demoAgencies() []demoAgency {
	return []demoAgency{
		{demoDakar, "Parquet du Tribunal de Dakar", "SN", "aminata.diop"},
		{demoAccra, "Office of the Attorney-General, Accra", "GH", "kwame.asante"},
		{demoAbuja, "Federal Ministry of Justice, Abuja (central authority)", "NG", "ngozi.okafor"},
	}
}

// demoJSON encodes a body as the commands would read it from a file.
func demoJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("casenode: demo body: " + err.Error())
	}
	return b
}

// demoLead is the lead on migrant smuggling that Dakar shares.
func demoLead() []byte { return protocol.Example(protocol.TypeLead) }

// demoRequest is Accra's request to Abuja for the expedited preservation
// of stored computer data, due in two weeks.
func demoRequest(now time.Time) ([]byte, error) {
	var r protocol.Request
	if err := json.Unmarshal(protocol.Example(protocol.TypeRequest), &r); err != nil {
		return nil, fmt.Errorf("example request: %w", err)
	}
	r.Deadline = protocol.NewTime(now.Add(14 * 24 * time.Hour).Truncate(time.Hour))
	return demoJSON(&r), nil
}

// demoStatus is a change of state of Accra's request, sent by Abuja.
func demoStatus(requestID string, state protocol.State, note string) []byte {
	return demoJSON(&protocol.Status{Version: protocol.BodyVersion, About: requestID, State: state, Note: note})
}

// demoReply is Abuja's answer to the request: the orders are served.
func demoReply(requestID string, now time.Time) []byte {
	day := now.UTC().Format("2 January 2006")
	until := now.UTC().Add(90 * 24 * time.Hour).Format("2 January 2006")
	order := "Preservation order FHC/ABJ/CS/0000/" + now.UTC().Format("2006") + " (PDF, 3 pages)"
	sum := sha256.Sum256([]byte(order))
	return demoJSON(&protocol.Reply{
		Version:   protocol.BodyVersion,
		InReplyTo: requestID,
		Text: "The Federal High Court, Abuja, issued the preservation order on " + day + " and it was served " +
			"the same day. The provider of 198.51.100.23 has preserved the subscriber information and connection " +
			"logs for the period requested until " + until + ". The provider of accounts.dept@buyer-mail.example " +
			"has no establishment in Nigeria: we suggest a direct request to the country of its establishment.\n\n" +
			"Please send the request for disclosure before " + until + ", quoting our reference " + demoNGRefText + ".",
		Documents: []protocol.DocumentRef{{Title: order, SHA256: hex.EncodeToString(sum[:])}},
	})
}

// demoContactCard is the contact card an agency publishes, updated now.
func demoContactCard(agency string, now time.Time) []byte {
	c := &protocol.ContactCard{Version: protocol.BodyVersion, Agency: agency, Updated: protocol.NewTime(now)}
	switch agency {
	case demoDakar:
		c.Country = "SN"
		c.Contacts = []protocol.Contact{
			{Role: protocol.ContactFocalPoint, Name: "Aminata Diop", Title: "Substitut du Procureur de la République, point focal du réseau",
				Languages: []string{"fr", "en", "wo"}, Phone: "+221338490000", Email: "point-focal@parquet-dakar.example",
				Availability: "Lun–ven 08:00–17:00 GMT ; urgences : téléphone, 24 h/24"},
			{Role: protocol.ContactProsecutor, Name: "Ibrahima Faye", Title: "Procureur de la République adjoint",
				Languages: []string{"fr"}, Email: "entraide@parquet-dakar.example"},
		}
	case demoAccra:
		c.Country = "GH"
		c.Contacts = []protocol.Contact{
			{Role: protocol.ContactCentralAuthority, Name: "Kwame Asante", Title: "Principal State Attorney, International Cooperation Unit",
				Languages: []string{"en", "fr"}, Phone: "+233302000441", Email: "mla@ag-accra.example",
				Availability: "Mon–Fri 08:30–17:00 GMT"},
			{Role: protocol.ContactFocalPoint, Name: "Efua Boateng", Title: "Senior State Attorney, WACAP focal point",
				Languages: []string{"en"}, Phone: "+233244000173"},
		}
	case demoAbuja:
		c.Country = "NG"
		c.Contacts = []protocol.Contact{
			{Role: protocol.ContactCentralAuthority, Name: "Ngozi Okafor", Title: "Director, Central Authority Unit",
				Languages: []string{"en", "fr"}, Phone: "+234920000518", Email: "central.authority@justice-abuja.example",
				Availability: "Mon–Fri 09:00–17:00 WAT; urgent preservation requests: phone, any time"},
			{Role: protocol.ContactProsecutor, Name: "Ibrahim Bello", Title: "Principal State Counsel, Cybercrime Prosecution Unit",
				Languages: []string{"en", "ha"}, Email: "cybercrime.pros@justice-abuja.example"},
		}
	}
	return demoJSON(c)
}
