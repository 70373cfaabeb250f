package console

import (
	"strings"

	"github.com/casenode/casenode/node/console/locale"
	"github.com/casenode/casenode/protocol"
)

// summary writes the one line that names a message in a list in the
// reader's language. The node's summaries (agency.summaryOf) are in
// English; only a lead's title, which its author wrote, is kept as is.
func summary(p *locale.Printer, t protocol.MessageType, s string) string {
	switch t {
	case protocol.TypeRequest:
		if k, ok := strings.CutSuffix(s, " request"); ok {
			return p.T("request_kind." + k)
		}
	case protocol.TypeReply:
		if id, ok := strings.CutPrefix(s, "reply to "); ok {
			return p.T("summary.reply", "ID", shortID(id))
		}
	case protocol.TypeStatus:
		if id, state, ok := strings.Cut(s, ": "); ok {
			return p.T("summary.status", "ID", shortID(id), "State", p.T("status_state."+state))
		}
	case protocol.TypeContact:
		if rest, ok := strings.CutPrefix(s, "contact card of "); ok {
			agency, _, _ := strings.Cut(rest, " ")
			return p.T("message.contactcard.short", "Agency", agency)
		}
	}
	return s
}

// shortID returns the last 8 characters of a message id, the random ones,
// enough to tell messages apart in a list.
func shortID(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}
