package compose

import (
	"slices"
	"strconv"

	"github.com/casenode/casenode/protocol"
)

// MessageIDs returns every i18n message id the forms and the
// "compose-fields" template use, sorted, without duplicates: the
// translations in compose.{en,fr,pt}.json and vocab.{en,fr,pt}.json must
// have them all.
func MessageIDs() []string {
	ids := []string{
		"compose.required_note", "compose.choose",
		"compose.owner.none", "compose.owner.person", "compose.owner.organisation",
	}
	ids = append(ids, ErrorIDs()...)
	var addField func(fd *Field)
	addField = func(fd *Field) {
		ids = append(ids, fd.Label)
		if fd.Help != "" {
			ids = append(ids, fd.Help)
		}
		if fd.Section != "" {
			ids = append(ids, fd.Section)
		}
		if fd.Input == InputGroup {
			ids = append(ids, fd.Label+".row", fd.Label+".add")
		}
		for _, o := range fd.Options {
			ids = append(ids, o.Label)
		}
		for i := range fd.Columns {
			addField(&fd.Columns[i])
		}
	}
	for _, f := range Forms() {
		ids = append(ids, f.Title, f.Intro)
		for i := range f.Fields {
			addField(&f.Fields[i])
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// VocabIDs returns the i18n message ids of the domain vocabulary that the
// console shows when it renders messages: every value of the protocol's
// enumerations, what each handling code allows and forbids, the message
// types, the states of a sent message and the rejection reasons.
func VocabIDs() []string {
	var ids []string
	add := func(prefix string, values ...string) {
		for _, v := range values {
			ids = append(ids, prefix+v)
		}
	}
	str := func(vs any) []string {
		var out []string
		switch vs := vs.(type) {
		case []protocol.CrimeType:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.RequestKind:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.HandlingCode:
			for _, v := range vs {
				out = append(out, string(v), string(v)+HandlingMay, string(v)+HandlingMayNot)
			}
		case []protocol.SourceEvaluation:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.Urgency:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.PersonRole:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.IdentifierKind:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.State:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.MessageType:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.Reason:
			for _, v := range vs {
				out = append(out, string(v))
			}
		case []protocol.ContactRole:
			for _, v := range vs {
				out = append(out, string(v))
			}
		}
		return out
	}
	add(VocabCrime, str(protocol.CrimeTypes())...)
	add(VocabRequestKind, str(protocol.RequestKinds())...)
	add(VocabHandling, str(protocol.HandlingCodes())...)
	add(VocabSource, str(protocol.SourceEvaluations())...)
	for e := protocol.InfoNotInDoubt; e <= protocol.InfoNotCorroborated; e++ {
		add(VocabInformation, strconv.Itoa(int(e)))
	}
	add(VocabUrgency, str(protocol.Urgencies())...)
	add(VocabPersonRole, str(protocol.PersonRoles())...)
	add(VocabIdentifierKind, str(protocol.IdentifierKinds())...)
	add(VocabState, str(protocol.States())...)
	add(VocabMessageType, str(protocol.MessageTypes())...)
	add(VocabReceipt, ReceiptStates()...)
	add(VocabReason, str(protocol.Reasons())...)
	add(VocabContactRole, str(protocol.ContactRoles())...)
	add(VocabLanguage, Languages()...)
	slices.Sort(ids)
	return ids
}
