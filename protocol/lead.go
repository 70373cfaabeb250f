package protocol

import "fmt"

// Lead is the body of a case.lead message: intelligence on a crime that one
// agency shares with others on its own initiative, so that they can open or
// advance an investigation. A lead is intelligence, not evidence: using its
// content as evidence takes a formal request (case.request).
type Lead struct {
	// Version is BodyVersion.
	Version int `json:"v"`
	// Title is one line of 1 to 200 characters that names the lead in an
	// inbox.
	Title string `json:"title"`
	// Summary states what is known, 1 to 20,000 characters.
	Summary string `json:"summary"`
	// CrimeTypes lists 1 to 14 distinct crime types the lead concerns.
	CrimeTypes []CrimeType `json:"crime_types"`
	// Persons lists at most 100 persons involved.
	Persons []Person `json:"persons,omitempty"`
	// Organisations lists at most 100 organisations involved: companies,
	// associations, criminal groups known by a name.
	Organisations []Organisation `json:"organisations,omitempty"`
	// Identifiers lists at most 500 identifiers not tied to a listed person
	// or organisation.
	Identifiers []Identifier `json:"identifiers,omitempty"`
	// Handling says what the recipients may do with the lead.
	Handling HandlingCode `json:"handling"`
	// HandlingConditions states the restrictions of handling code H3, 1 to
	// 2,000 characters. It is required with H3 and must be absent
	// otherwise.
	HandlingConditions string `json:"handling_conditions,omitempty"`
	// SourceEvaluation grades the reliability of the source.
	SourceEvaluation SourceEvaluation `json:"source_evaluation"`
	// InformationEvaluation grades the accuracy of the information.
	InformationEvaluation InformationEvaluation `json:"information_evaluation"`
	// Urgency says how fast the sender hopes the recipients will act.
	Urgency Urgency `json:"urgency"`
	// Languages lists at most 10 distinct ISO 639-1 codes of the languages
	// the sender can work in for follow-up, in order of preference.
	Languages []string `json:"languages,omitempty"`
	// RelatedCases lists at most 50 distinct case ids the lead relates to,
	// in the sender's or the network's numbering.
	RelatedCases []string `json:"related_cases,omitempty"`
}

// Type returns TypeLead.
func (l *Lead) Type() MessageType { return TypeLead }

// Validate checks every field of the lead.
func (l *Lead) Validate() error {
	const p = "lead"
	if err := checkVersion(p+".v", l.Version); err != nil {
		return err
	}
	if err := checkLine(p+".title", l.Title, 1, 200); err != nil {
		return err
	}
	if err := checkText(p+".summary", l.Summary, 1, 20000); err != nil {
		return err
	}
	if err := checkCount(p+".crime_types", len(l.CrimeTypes), 1, 14); err != nil {
		return err
	}
	for i, c := range l.CrimeTypes {
		if err := checkEnum(at(p+".crime_types", i), c, CrimeTypes()); err != nil {
			return err
		}
	}
	if err := checkUnique(p+".crime_types", l.CrimeTypes); err != nil {
		return err
	}
	if err := checkPersons(p+".persons", l.Persons); err != nil {
		return err
	}
	if err := checkCount(p+".organisations", len(l.Organisations), 0, 100); err != nil {
		return err
	}
	for i := range l.Organisations {
		if err := l.Organisations[i].validate(at(p+".organisations", i)); err != nil {
			return err
		}
	}
	if err := checkIdentifiers(p+".identifiers", l.Identifiers, 500); err != nil {
		return err
	}
	if err := checkEnum(p+".handling", l.Handling, HandlingCodes()); err != nil {
		return err
	}
	if l.Handling == HandlingH3 {
		if err := checkText(p+".handling_conditions", l.HandlingConditions, 1, 2000); err != nil {
			return fmt.Errorf("%w (required with handling H3)", err)
		}
	} else if l.HandlingConditions != "" {
		return fmt.Errorf("%s.handling_conditions: must be absent unless handling is H3", p)
	}
	if err := checkEnum(p+".source_evaluation", l.SourceEvaluation, SourceEvaluations()); err != nil {
		return err
	}
	if e := l.InformationEvaluation; e < InfoNotInDoubt || e > InfoNotCorroborated {
		return fmt.Errorf("%s.information_evaluation: must be 1, 2, 3 or 4 (is %d)", p, e)
	}
	if err := checkEnum(p+".urgency", l.Urgency, Urgencies()); err != nil {
		return err
	}
	if err := checkLanguages(p+".languages", l.Languages, 0, 10); err != nil {
		return err
	}
	return checkCases(p+".related_cases", l.RelatedCases, 50)
}

// CrimeType is one of the crime types of UNODC's SHERLOC knowledge portal,
// as a kebab-case code.
type CrimeType string

// The crime types, in SHERLOC's order.
const (
	CrimeOrganizedCriminalGroup CrimeType = "participation-in-organized-criminal-group"
	CrimeObstructionOfJustice   CrimeType = "obstruction-of-justice"
	CrimeMoneyLaundering        CrimeType = "money-laundering"
	CrimeCorruption             CrimeType = "corruption"
	CrimeTraffickingInPersons   CrimeType = "trafficking-in-persons"
	CrimeSmugglingOfMigrants    CrimeType = "smuggling-of-migrants"
	CrimeFirearms               CrimeType = "trafficking-in-firearms"
	CrimeCybercrime             CrimeType = "cybercrime"
	CrimeFraudulentMedicine     CrimeType = "fraudulent-medicine"
	CrimeDrugTrafficking        CrimeType = "drug-trafficking"
	CrimeCounterfeiting         CrimeType = "counterfeiting"
	CrimePiracy                 CrimeType = "piracy"
	CrimeCulturalProperty       CrimeType = "trafficking-in-cultural-property"
	CrimeWildlifeAndForest      CrimeType = "wildlife-and-forest-crime"
)

// CrimeTypes returns every crime type in SHERLOC's order.
func CrimeTypes() []CrimeType {
	return []CrimeType{
		CrimeOrganizedCriminalGroup, CrimeObstructionOfJustice, CrimeMoneyLaundering,
		CrimeCorruption, CrimeTraffickingInPersons, CrimeSmugglingOfMigrants,
		CrimeFirearms, CrimeCybercrime, CrimeFraudulentMedicine, CrimeDrugTrafficking,
		CrimeCounterfeiting, CrimePiracy, CrimeCulturalProperty, CrimeWildlifeAndForest,
	}
}

// HandlingCode says what the recipients of a lead may do with it. The codes
// are those of Europol's SIENA exchanges, which many of the networks'
// practitioners know. Every code includes H0's purpose limitation; the
// sender gives a permission, when asked, through its own channels or a
// later message.
type HandlingCode string

const (
	// HandlingH0: use only to prevent and combat crime, under the
	// recipient's law; no further restriction.
	HandlingH0 HandlingCode = "H0"
	// HandlingH1: as H0, and not to be disclosed in judicial proceedings
	// (for instance produced as evidence) without the sender's permission.
	HandlingH1 HandlingCode = "H1"
	// HandlingH2: as H0, and not to be disseminated beyond the recipient
	// agency without the sender's permission.
	HandlingH2 HandlingCode = "H2"
	// HandlingH3: as H0, with other restrictions stated in the lead's
	// handling_conditions (for instance H1 and H2 together, or "may be
	// shared with customs only").
	HandlingH3 HandlingCode = "H3"
)

// HandlingCodes returns every handling code.
func HandlingCodes() []HandlingCode {
	return []HandlingCode{HandlingH0, HandlingH1, HandlingH2, HandlingH3}
}

// SourceEvaluation grades the reliability of a source, with the codes of
// Europol's "4x4" evaluation (Regulation (EU) 2016/794, Article 29), the
// two-axis admiralty grading that the UK's 5x5x5 and 3x5x2 models also
// follow.
type SourceEvaluation string

const (
	// SourceReliable (A): no doubt about the source's authenticity,
	// trustworthiness and competence, or it has proved reliable in all
	// instances.
	SourceReliable SourceEvaluation = "A"
	// SourceMostlyReliable (B): the source has proved reliable in most
	// instances.
	SourceMostlyReliable SourceEvaluation = "B"
	// SourceMostlyUnreliable (C): the source has proved unreliable in most
	// instances.
	SourceMostlyUnreliable SourceEvaluation = "C"
	// SourceUnassessed (X): the source's reliability cannot be assessed.
	SourceUnassessed SourceEvaluation = "X"
)

// SourceEvaluations returns every source evaluation code.
func SourceEvaluations() []SourceEvaluation {
	return []SourceEvaluation{SourceReliable, SourceMostlyReliable, SourceMostlyUnreliable, SourceUnassessed}
}

// InformationEvaluation grades the accuracy of information, 1 to 4, with
// the codes of Europol's 4x4 evaluation (see SourceEvaluation).
type InformationEvaluation int

const (
	// InfoNotInDoubt (1): the accuracy of the information is not in doubt.
	InfoNotInDoubt InformationEvaluation = 1
	// InfoKnownToSource (2): known personally to the source but not to the
	// official passing it on.
	InfoKnownToSource InformationEvaluation = 2
	// InfoCorroborated (3): not known personally to the source but
	// corroborated by information already recorded.
	InfoCorroborated InformationEvaluation = 3
	// InfoNotCorroborated (4): not known personally to the source and
	// cannot be corroborated.
	InfoNotCorroborated InformationEvaluation = 4
)

// Urgency says how fast the sender hopes the recipient will act.
type Urgency string

const (
	// UrgencyRoutine: in the recipient's ordinary course of business.
	UrgencyRoutine Urgency = "routine"
	// UrgencyUrgent: ahead of routine work, within days; the text says why.
	UrgencyUrgent Urgency = "urgent"
	// UrgencyImmediate: now, within hours: a risk to life, a suspect about
	// to flee, evidence about to be lost.
	UrgencyImmediate Urgency = "immediate"
)

// Urgencies returns every urgency, least urgent first.
func Urgencies() []Urgency {
	return []Urgency{UrgencyRoutine, UrgencyUrgent, UrgencyImmediate}
}

// Person is a natural person named in a lead or a request.
type Person struct {
	// Name is the full name as written in the person's documents, one line
	// of 1 to 200 characters.
	Name string `json:"name"`
	// Role is the person's part in the case.
	Role PersonRole `json:"role"`
	// Nationality is an ISO 3166-1 alpha-2 code, or absent if unknown.
	Nationality string `json:"nationality,omitempty"`
	// DateOfBirth is a calendar date written YYYY-MM-DD, or absent if
	// unknown.
	DateOfBirth string `json:"date_of_birth,omitempty"`
	// Identifiers lists at most 20 of the person's identifiers.
	Identifiers []Identifier `json:"identifiers,omitempty"`
}

func checkPersons(path string, persons []Person) error {
	if err := checkCount(path, len(persons), 0, 100); err != nil {
		return err
	}
	for i := range persons {
		if err := persons[i].validate(at(path, i)); err != nil {
			return err
		}
	}
	return nil
}

func (p *Person) validate(path string) error {
	if err := checkLine(path+".name", p.Name, 1, 200); err != nil {
		return err
	}
	if err := checkEnum(path+".role", p.Role, PersonRoles()); err != nil {
		return err
	}
	if err := checkOptionalCountry(path+".nationality", p.Nationality); err != nil {
		return err
	}
	if err := checkDate(path+".date_of_birth", p.DateOfBirth); err != nil {
		return err
	}
	return checkIdentifiers(path+".identifiers", p.Identifiers, 20)
}

// PersonRole is a person's part in a case.
type PersonRole string

// The person roles.
const (
	RoleSuspect   PersonRole = "suspect"   // suspected of an offence
	RoleAccused   PersonRole = "accused"   // charged or indicted
	RoleConvicted PersonRole = "convicted" // convicted, for instance sought to serve a sentence
	RoleVictim    PersonRole = "victim"
	RoleWitness   PersonRole = "witness"
	RoleAssociate PersonRole = "associate" // linked to a suspect, not suspected
	RoleOther     PersonRole = "other"     // the text says what
)

// PersonRoles returns every person role.
func PersonRoles() []PersonRole {
	return []PersonRole{RoleSuspect, RoleAccused, RoleConvicted, RoleVictim, RoleWitness, RoleAssociate, RoleOther}
}

// Organisation is a legal person or a group named in a lead.
type Organisation struct {
	// Name is one line of 1 to 200 characters.
	Name string `json:"name"`
	// Country is the ISO 3166-1 alpha-2 code of the country where it is
	// registered or based.
	Country string `json:"country"`
	// Identifiers lists at most 20 of its identifiers.
	Identifiers []Identifier `json:"identifiers,omitempty"`
}

func (o *Organisation) validate(path string) error {
	if err := checkLine(path+".name", o.Name, 1, 200); err != nil {
		return err
	}
	if err := ValidateCountry(o.Country); err != nil {
		return fmt.Errorf("%s.country: %w", path, err)
	}
	return checkIdentifiers(path+".identifiers", o.Identifiers, 20)
}

// Identifier is something that singles out a person, an organisation, a
// vehicle or an account. Its value is kept as the sender wrote it: leads
// carry what investigators found, partial or oddly formatted.
type Identifier struct {
	// Kind says what the value is.
	Kind IdentifierKind `json:"kind"`
	// Value is one line of 1 to 200 characters.
	Value string `json:"value"`
	// Country is the ISO 3166-1 alpha-2 code of the issuing country (of a
	// passport, a vehicle plate, a phone number…), or absent.
	Country string `json:"country,omitempty"`
	// Label says what the value is in at most 100 characters on one line
	// ("national identity card", "mobile-money account"). It is required
	// for kind other.
	Label string `json:"label,omitempty"`
}

func checkIdentifiers(path string, ids []Identifier, max int) error {
	if err := checkCount(path, len(ids), 0, max); err != nil {
		return err
	}
	for i := range ids {
		if err := ids[i].validate(at(path, i)); err != nil {
			return err
		}
	}
	return nil
}

func (id *Identifier) validate(path string) error {
	if err := checkEnum(path+".kind", id.Kind, IdentifierKinds()); err != nil {
		return err
	}
	if err := checkLine(path+".value", id.Value, 1, 200); err != nil {
		return err
	}
	if err := checkOptionalCountry(path+".country", id.Country); err != nil {
		return err
	}
	if id.Kind == IDOther && id.Label == "" {
		return fmt.Errorf("%s.label: must say what the value is when kind is other", path)
	}
	return checkLine(path+".label", id.Label, 0, 100)
}

// IdentifierKind says what an identifier's value is.
type IdentifierKind string

// The identifier kinds.
const (
	IDPhone         IdentifierKind = "phone"
	IDEmail         IdentifierKind = "email"
	IDIBAN          IdentifierKind = "iban"           // International Bank Account Number
	IDPassport      IdentifierKind = "passport"       // passport number; give its country
	IDVesselIMO     IdentifierKind = "vessel-imo"     // IMO ship number
	IDCryptoAddress IdentifierKind = "crypto-address" // a virtual-asset address
	IDVehiclePlate  IdentifierKind = "vehicle-plate"
	IDIPAddress     IdentifierKind = "ip-address" // IPv4 or IPv6; give the time of use in the text
	IDURL           IdentifierKind = "url"        // a web page or an online profile
	IDOther         IdentifierKind = "other"      // anything else: identity card, mobile-money account, company number…
)

// IdentifierKinds returns every identifier kind.
func IdentifierKinds() []IdentifierKind {
	return []IdentifierKind{IDPhone, IDEmail, IDIBAN, IDPassport, IDVesselIMO, IDCryptoAddress, IDVehiclePlate, IDIPAddress, IDURL, IDOther}
}
