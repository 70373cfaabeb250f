// Package compose holds the console's guided forms for writing case
// messages: one form per message type (lead, reply, status) and one per kind
// of request, modelled on the questions of UNODC's Mutual Legal Assistance
// Request Writer Tool. A form turns the values of a submitted HTML form into
// a protocol body that passes the protocol's own validation, reports what is
// wrong next to the field at fault as an i18n message id, and turns a body
// back into form values to refill a draft.
//
// Forms know nothing of HTTP, sessions or storage: the console core renders
// them with the "compose-fields" template (web/templates/compose_form.html)
// from a View, stores drafts as encoded url.Values (EncodeDraft,
// DecodeDraft), and reads the case id from the CaseField value, which
// travels in the message header, not in the body.
package compose
