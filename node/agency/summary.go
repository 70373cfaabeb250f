package agency

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/casenode/casenode/protocol"
)

// summaryOf returns one line that names a message in a list: a lead's
// title, a request's kind, what a reply or status answers, a contact
// card's agency. The body was validated when it was sent or received; this
// reads only the few fields it needs.
func summaryOf(t protocol.MessageType, body []byte) string {
	var v struct {
		Title     string            `json:"title"`
		Kind      string            `json:"kind"`
		InReplyTo string            `json:"in_reply_to"`
		About     string            `json:"about"`
		State     string            `json:"state"`
		Agency    string            `json:"agency"`
		Contacts  []json.RawMessage `json:"contacts"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var s string
	switch t {
	case protocol.TypeLead:
		s = v.Title
	case protocol.TypeRequest:
		s = v.Kind + " request"
	case protocol.TypeReply:
		s = "reply to " + v.InReplyTo
	case protocol.TypeStatus:
		s = v.About + ": " + v.State
	case protocol.TypeContact:
		s = fmt.Sprintf("contact card of %s (%d contacts)", v.Agency, len(v.Contacts))
	}
	return strings.Join(strings.Fields(s), " ")
}

// compact returns body without insignificant white space.
func compact(body []byte) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, body); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
