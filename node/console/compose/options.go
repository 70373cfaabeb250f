package compose

import (
	"strconv"

	"github.com/casenode/casenode/protocol"
)

// options builds the options of an enumeration whose labels are the
// vocabulary's ids prefix+value.
func options[T ~string](prefix string, values []T) []Option {
	opts := make([]Option, len(values))
	for i, v := range values {
		opts[i] = Option{Value: string(v), Label: prefix + string(v)}
	}
	return opts
}

// The vocabulary's id prefixes: the id of a value is prefix+value.
const (
	VocabCrime          = "crime."
	VocabRequestKind    = "request_kind."
	VocabHandling       = "handling."
	VocabSource         = "source_evaluation."
	VocabInformation    = "information_evaluation."
	VocabUrgency        = "urgency."
	VocabPersonRole     = "person_role."
	VocabIdentifierKind = "identifier_kind."
	VocabState          = "status_state."
	VocabLanguage       = "language."
	VocabMessageType    = "message_type."
	VocabReceipt        = "receipt_state."
	VocabReason         = "reason."
	VocabContactRole    = "contact_role."
)

// HandlingMay and HandlingMayNot are the suffixes of the vocabulary ids that
// say what the reader of a lead may and may not do under a handling code:
// handling.H1.may, handling.H1.may_not.
const (
	HandlingMay    = ".may"
	HandlingMayNot = ".may_not"
)

// ReceiptStates are the states of a sent message for one recipient that the
// vocabulary names (receipt_state.*): the outbox's own states and the
// receipts' kinds, and cancelled (withdrawn before it left).
func ReceiptStates() []string {
	return []string{"queued", "relayed", "delivered", "read", "rejected", "cancelled"}
}

// Languages are the working languages offered on the forms, as ISO 639-1
// codes: the networks' three, then Spanish and Arabic.
func Languages() []string { return []string{"fr", "en", "pt", "es", "ar"} }

func informationOptions() []Option {
	var opts []Option
	for e := protocol.InfoNotInDoubt; e <= protocol.InfoNotCorroborated; e++ {
		v := strconv.Itoa(int(e))
		opts = append(opts, Option{Value: v, Label: VocabInformation + v})
	}
	return opts
}

// InformationEvaluations returns the information evaluation codes as the
// forms and the vocabulary write them ("1" to "4").
func InformationEvaluations() []string {
	var s []string
	for _, o := range informationOptions() {
		s = append(s, o.Value)
	}
	return s
}

func languageOptions() []Option { return options(VocabLanguage, Languages()) }

// choices builds the options of a kind-specific select, labelled
// compose.NAME.VALUE.
func choices(name string, values ...string) []Option {
	return options("compose."+name+".", values)
}
