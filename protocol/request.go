package protocol

// Request is the body of a case.request message: a formal request from one
// agency to another for mutual legal assistance, extradition or another
// measure of judicial cooperation.
type Request struct {
	// Version is BodyVersion.
	Version int `json:"v"`
	// Kind is the measure of cooperation asked for.
	Kind RequestKind `json:"kind"`
	// LegalBasis lists 1 to 20 instruments the request rests on: treaties,
	// conventions, national law, or reciprocity.
	LegalBasis []LegalBasis `json:"legal_basis"`
	// Facts states the facts and the offences, 1 to 100,000 characters.
	Facts string `json:"facts"`
	// MeasuresRequested lists 1 to 50 measures asked for, each 1 to 2,000
	// characters.
	MeasuresRequested []string `json:"measures_requested"`
	// Deadline is when the requesting agency needs the measures executed,
	// or absent.
	Deadline Time `json:"deadline,omitzero"`
	// Urgency says how fast the requesting agency hopes for execution.
	Urgency Urgency `json:"urgency"`
	// Languages lists 1 to 10 distinct ISO 639-1 codes of the languages in
	// which the requesting agency accepts the reply and the material sent,
	// in order of preference.
	Languages []string `json:"languages"`
	// Persons lists at most 100 persons the request concerns.
	Persons []Person `json:"persons,omitempty"`
	// Identifiers lists at most 500 identifiers the request concerns that
	// are not tied to a listed person: accounts, phone numbers, addresses…
	Identifiers []Identifier `json:"identifiers,omitempty"`
}

// Type returns TypeRequest.
func (r *Request) Type() MessageType { return TypeRequest }

// Validate checks every field of the request.
func (r *Request) Validate() error {
	const p = "request"
	if err := checkVersion(p+".v", r.Version); err != nil {
		return err
	}
	if err := checkEnum(p+".kind", r.Kind, RequestKinds()); err != nil {
		return err
	}
	if err := checkCount(p+".legal_basis", len(r.LegalBasis), 1, 20); err != nil {
		return err
	}
	for i, b := range r.LegalBasis {
		if err := checkLine(at(p+".legal_basis", i)+".instrument", b.Instrument, 1, 300); err != nil {
			return err
		}
		if err := checkLine(at(p+".legal_basis", i)+".article", b.Article, 0, 100); err != nil {
			return err
		}
	}
	if err := checkText(p+".facts", r.Facts, 1, 100000); err != nil {
		return err
	}
	if err := checkCount(p+".measures_requested", len(r.MeasuresRequested), 1, 50); err != nil {
		return err
	}
	for i, m := range r.MeasuresRequested {
		if err := checkText(at(p+".measures_requested", i), m, 1, 2000); err != nil {
			return err
		}
	}
	if err := checkEnum(p+".urgency", r.Urgency, Urgencies()); err != nil {
		return err
	}
	if err := checkLanguages(p+".languages", r.Languages, 1, 10); err != nil {
		return err
	}
	if err := checkPersons(p+".persons", r.Persons); err != nil {
		return err
	}
	return checkIdentifiers(p+".identifiers", r.Identifiers, 500)
}

// LegalBasis names one instrument a request rests on.
type LegalBasis struct {
	// Instrument names the treaty, convention or law, one line of 1 to 300
	// characters ("ECOWAS Convention on Mutual Assistance in Criminal
	// Matters (A/P.1/7/92)", or "reciprocity").
	Instrument string `json:"instrument"`
	// Article names the provision, one line of at most 100 characters, or
	// is absent.
	Article string `json:"article,omitempty"`
}

// RequestKind is the measure of cooperation a request asks for.
type RequestKind string

// The request kinds.
const (
	// RequestMLA: mutual legal assistance in general (evidence, hearings,
	// searches, documents), the measures spelled out in the request.
	RequestMLA RequestKind = "mutual-legal-assistance"
	// RequestExtradition: surrender of a person for prosecution or to serve
	// a sentence.
	RequestExtradition RequestKind = "extradition"
	// RequestTransferOfProceedings: the requested state takes over the
	// prosecution.
	RequestTransferOfProceedings RequestKind = "transfer-of-proceedings"
	// RequestVideoconference: hearing a witness, expert or suspect by
	// videoconference.
	RequestVideoconference RequestKind = "videoconference-hearing"
	// RequestJIT: setting up a joint investigation team.
	RequestJIT RequestKind = "joint-investigation-team"
	// RequestControlledDelivery: letting an illicit consignment move under
	// surveillance.
	RequestControlledDelivery RequestKind = "controlled-delivery"
	// RequestAssets: freezing, seizure or confiscation of assets.
	RequestAssets RequestKind = "asset-freezing-confiscation"
	// RequestPreservation: expedited preservation of stored computer data
	// pending a request for its disclosure (Budapest Convention, Article
	// 29).
	RequestPreservation RequestKind = "expedited-preservation"
	// RequestStoredData: access to or disclosure of stored computer data
	// (Budapest Convention, Article 31).
	RequestStoredData RequestKind = "stored-data-access"
	// RequestTrafficData: real-time collection of traffic data (Budapest
	// Convention, Article 33).
	RequestTrafficData RequestKind = "real-time-traffic-data"
)

// RequestKinds returns every request kind.
func RequestKinds() []RequestKind {
	return []RequestKind{
		RequestMLA, RequestExtradition, RequestTransferOfProceedings, RequestVideoconference,
		RequestJIT, RequestControlledDelivery, RequestAssets, RequestPreservation,
		RequestStoredData, RequestTrafficData,
	}
}
