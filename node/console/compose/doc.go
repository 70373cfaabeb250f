// Package compose holds the console's guided forms for writing case
// messages: one form per message type (lead, reply, status) and one per kind
// of request, modelled on the questions of UNODC's Mutual Legal Assistance
// Request Writer Tool. A form turns the values of a submitted HTML form into
// a protocol body that passes the protocol's own validation, reports what is
// wrong next to the field at fault as an i18n message id, and turns a body
// back into form values to refill a draft.
//
// Forms know nothing of HTTP, sessions or storage. A console uses them so:
//
//   - to show a form: f, ok := Lookup(kind), then render the
//     "compose-fields" template (web/templates/compose_form.html) with
//     &View{Form: f, Values: values} inside its own <form>, where values are
//     a draft's (DecodeDraft), an answer's (ReplyPrefill) or none;
//   - on a submission that carries AddRowField: render the same View with
//     the submitted values (one more row appears), nothing is sent;
//   - to keep a draft: store f.EncodeDraft(values) until the message is
//     sent;
//   - to send: body, fieldErrs, err := f.Parse(values); on error render
//     &View{Form: f, Values: values, Errors: fieldErrs}; otherwise send body
//     as a message of type f.Type in case CaseID(values) (the case id
//     travels in the header, not in the body).
//
// The template calls T(id, key, value…) for every text. The message ids are
// MessageIDs (compose.{en,fr,pt}.json) and, for the protocol's values,
// VocabIDs (vocab.{en,fr,pt}.json), both in node/console/locale/translations.
package compose
