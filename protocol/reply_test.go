package protocol

import (
	"strings"
	"testing"
)

func TestReplyRules(t *testing.T) {
	type R = *Reply
	digest := "da29a65a90edf0f986237280da89475ab545940a3ec79e3b67e7610729be0c53"
	checkRules(t, []rule{
		{"example", edit(t, func(r R) {}), ""},
		{"no documents", edit(t, func(r R) { r.Documents = nil }), ""},
		{"version", edit(t, func(r R) { r.Version = 2 }), "reply.v: unsupported version 2 (this casenode reads version 1)"},
		{"in reply to", edit(t, func(r R) { r.InReplyTo = "" }), `reply.in_reply_to: invalid message id "": must be a lowercase UUIDv7`},
		{"in reply to upper case", edit(t, func(r R) { r.InReplyTo = strings.ToUpper(r.InReplyTo) }), `reply.in_reply_to: invalid message id "0196ED27-54E0-7A3C-8F2D-41B6E07C9E25": must be a lowercase UUIDv7`},
		{"text", edit(t, func(r R) { r.Text = "\n" }), "reply.text: must not be only white space"},
		{"document title", edit(t, func(r R) { r.Documents[0].Title = "" }), "reply.documents[0].title: must not be empty"},
		{"document digest", edit(t, func(r R) { r.Documents[0].SHA256 = strings.ToUpper(digest) }), `reply.documents[0].sha256: "` + strings.ToUpper(digest) + `" is not a SHA-256 digest (64 lowercase hex digits)`},
		{"document digest short", edit(t, func(r R) { r.Documents[0].SHA256 = digest[:63] }), `reply.documents[0].sha256: "` + digest[:63] + `" is not a SHA-256 digest (64 lowercase hex digits)`},
		{"document twice", edit(t, func(r R) { r.Documents = append(r.Documents, DocumentRef{Title: "copy", SHA256: digest}) }), "reply.documents[1]: duplicate of reply.documents[0]"},
		{"documents 101", edit(t, func(r R) { r.Documents = make([]DocumentRef, 101) }), "reply.documents: must have at most 100 entries (has 101)"},
	})
}
