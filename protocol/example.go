package protocol

import (
	"bytes"
	"encoding/json"
	"time"
)

// Example returns a valid, indented example body of type t, or nil for an
// unknown type. The examples tell one story in a fictional West African
// network: a lead on migrant smuggling from the Parquet de Dakar, then a
// request from Ghana's Attorney-General to Nigeria's for the expedited
// preservation of stored computer data, its receipt, a status and a reply.
// The people, numbers and addresses are invented (IP addresses and domains
// are from the ranges reserved for documentation); times and ids are fixed,
// so the output never changes.
func Example(t MessageType) []byte {
	var b Body
	switch t {
	case TypeLead:
		b = exampleLead()
	case TypeRequest:
		b = exampleRequest()
	case TypeReply:
		b = exampleReply()
	case TypeStatus:
		b = exampleStatus()
	case TypeContact:
		b = exampleContactCard()
	case TypeReceipt:
		b = exampleReceipt()
	default:
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		panic("casenode: example " + string(t) + ": " + err.Error())
	}
	return buf.Bytes()
}

// The message id of the example request, to which the other examples refer.
const exampleRequestID = "0196ed27-54e0-7a3c-8f2d-41b6e07c9e25"

func exampleTime(s string) Time {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		panic("casenode: example time " + s + ": " + err.Error())
	}
	return Time{t}
}

func exampleLead() *Lead {
	return &Lead{
		Version: BodyVersion,
		Title:   "Pirogue departures to the Canary Islands organised from Saint-Louis and Banjul",
		Summary: "Since February 2025 the Parquet de Dakar has investigated seven pirogue departures " +
			"from the coast north of Saint-Louis towards the Canary Islands, with 60 to 150 passengers each. " +
			"Passengers paid 400,000 to 600,000 CFA francs each to recruiters in Dakar and Thiès, mostly by " +
			"mobile money. Intercepted conversations show that departures are coordinated from Banjul by a " +
			"Gambian national and that part of the proceeds is collected in Conakry.\n\n" +
			"The information comes from two arrested recruiters whose earlier statements were confirmed. " +
			"We share it so that the recipients can check the persons and accounts below in their own records; " +
			"we would welcome a joint meeting before any request for assistance.",
		CrimeTypes: []CrimeType{CrimeSmugglingOfMigrants, CrimeOrganizedCriminalGroup, CrimeMoneyLaundering},
		Persons: []Person{
			{
				Name:        "Lamine Sarr",
				Role:        RoleSuspect,
				Nationality: "SN",
				DateOfBirth: "1986-07-19",
				Identifiers: []Identifier{
					{Kind: IDPhone, Value: "+221 77 000 41 87", Country: "SN"},
					{Kind: IDPassport, Value: "A00731942", Country: "SN"},
				},
			},
			{
				Name:        "Ebrima Jallow",
				Role:        RoleSuspect,
				Nationality: "GM",
				Identifiers: []Identifier{{Kind: IDPhone, Value: "+220 700 0192", Country: "GM"}},
			},
			{
				Name:        "Mariama Baldé",
				Role:        RoleAssociate,
				Nationality: "GN",
				Identifiers: []Identifier{
					{Kind: IDOther, Label: "mobile-money account", Value: "+224 620 00 58 31", Country: "GN"},
				},
			},
		},
		Organisations: []Organisation{
			{
				Name:    "Sarr Pêche Services SARL",
				Country: "SN",
				Identifiers: []Identifier{
					{Kind: IDOther, Label: "RCCM registration", Value: "SN-STL-2019-B-0000", Country: "SN"},
				},
			},
		},
		Identifiers: []Identifier{
			{Kind: IDVehiclePlate, Value: "DK-0073-AX", Country: "SN"},
			{Kind: IDOther, Label: "mobile-money account", Value: "+221 76 000 33 12", Country: "SN"},
		},
		Handling:              HandlingH2,
		SourceEvaluation:      SourceMostlyReliable,
		InformationEvaluation: InfoKnownToSource,
		Urgency:               UrgencyUrgent,
		Languages:             []string{"fr", "en"},
		RelatedCases:          []string{"sn-pj-dakar-2025-0142"},
	}
}

func exampleRequest() *Request {
	return &Request{
		Version: BodyVersion,
		Kind:    RequestPreservation,
		LegalBasis: []LegalBasis{
			{Instrument: "Council of Europe Convention on Cybercrime (ETS No. 185)", Article: "Article 29"},
			{Instrument: "ECOWAS Convention on Mutual Assistance in Criminal Matters (A/P.1/7/92)"},
		},
		Facts: "Between 28 April and 9 May 2025 a Ghanaian cocoa exporter received emails that appeared to " +
			"come from its Swiss buyer, asking it to pay two invoices into a new account. It paid " +
			"1,240,000 Ghana cedis. The buyer never sent those emails: they came from the look-alike " +
			"address accounts.dept@buyer-mail.example, and the account was reached from the IPv4 address " +
			"198.51.100.23, allocated to a provider established in Lagos.\n\n" +
			"The offences are fraud and money laundering under Ghanaian law (Criminal Offences Act 1960, " +
			"sections 131 and 133; Anti-Money Laundering Act 2020). Providers keep connection logs for a " +
			"short time only: we ask for their preservation now and will send a request for disclosure " +
			"within 90 days.",
		MeasuresRequested: []string{
			"Order the provider to which 198.51.100.23 is allocated to preserve, for 90 days, the subscriber " +
				"information and connection logs (source port, start and end times with time zone) for that " +
				"address between 2025-04-28T00:00Z and 2025-05-09T23:59Z.",
			"Order the provider of accounts.dept@buyer-mail.example to preserve, for 90 days, the account's " +
				"subscriber information, login records and stored messages.",
			"Do not inform the account holders: doing so would prejudice the investigation.",
		},
		Deadline:  exampleTime("2025-05-27T17:00:00.000Z"),
		Urgency:   UrgencyUrgent,
		Languages: []string{"en", "fr"},
		Persons: []Person{
			{Name: "Adwoa Owusu-Mensah", Role: RoleWitness, Nationality: "GH"},
		},
		Identifiers: []Identifier{
			{Kind: IDIPAddress, Value: "198.51.100.23", Country: "NG"},
			{Kind: IDEmail, Value: "accounts.dept@buyer-mail.example"},
		},
	}
}

func exampleReply() *Reply {
	return &Reply{
		Version:   BodyVersion,
		InReplyTo: exampleRequestID,
		Text: "The Federal High Court, Abuja, issued the preservation orders on 22 May 2025 and they were " +
			"served the same day. The provider of 198.51.100.23 has preserved the subscriber information and " +
			"connection logs for the period requested until 20 August 2025. The provider of " +
			"accounts.dept@buyer-mail.example has no establishment in Nigeria: we suggest a direct request " +
			"to the country of its establishment.\n\n" +
			"Please send the request for disclosure before 20 August 2025, quoting our reference " +
			"NG-MLA-2025-0318.",
		Documents: []DocumentRef{
			{Title: "Preservation order FHC/ABJ/CS/0000/2025 (PDF, 3 pages)", SHA256: "da29a65a90edf0f986237280da89475ab545940a3ec79e3b67e7610729be0c53"},
		},
	}
}

func exampleStatus() *Status {
	return &Status{
		Version: BodyVersion,
		About:   exampleRequestID,
		State:   StateMoreInformationNeeded,
		Reason: "The provider of 198.51.100.23 shares that address among many subscribers. To single out one, " +
			"it needs the source port of each connection and confirmation that the times are in UTC.",
		Note: "The preservation of the email account is in execution.",
	}
}

func exampleContactCard() *ContactCard {
	return &ContactCard{
		Version: BodyVersion,
		Agency:  "sn-pj-dakar",
		Country: "SN",
		Updated: exampleTime("2025-04-02T11:00:00.000Z"),
		Contacts: []Contact{
			{
				Role:         ContactFocalPoint,
				Name:         "Aminata Diop",
				Title:        "Substitut du Procureur de la République, point focal du réseau",
				Languages:    []string{"fr", "en", "wo"},
				Phone:        "+221338490000",
				Email:        "point-focal@parquet-dakar.example",
				Availability: "Lun–ven 08:00–17:00 GMT ; urgences : téléphone, 24 h/24",
			},
			{
				Role:      ContactProsecutor,
				Name:      "Ibrahima Faye",
				Title:     "Procureur de la République adjoint",
				Languages: []string{"fr"},
				Email:     "entraide@parquet-dakar.example",
			},
		},
	}
}

func exampleReceipt() *Receipt {
	return &Receipt{
		Version:     ReceiptVersion,
		ID:          "0196ed27-6234-71d4-b9c8-e7f0a21b3c4d",
		Network:     "wa-demo",
		From:        "ng-ag-abuja",
		To:          "gh-ag-accra",
		MessageID:   exampleRequestID,
		MessageHash: "4ad279305a713c598d953964fbb1c4b184a504c99c398b773b83ee55f250cd25",
		Kind:        ReceiptDelivered,
		Time:        exampleTime("2025-05-20T10:05:03.412Z"),
	}
}
