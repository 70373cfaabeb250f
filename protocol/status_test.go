package protocol

import "testing"

func TestStatusRules(t *testing.T) {
	type S = *Status
	checkRules(t, []rule{
		{"example", edit(t, func(s S) {}), ""},
		{"received", edit(t, func(s S) { s.State, s.Reason, s.Note = StateReceived, "", "" }), ""},
		{"version", edit(t, func(s S) { s.Version = 2 }), "status.v: unsupported version 2 (this casenode reads version 1)"},
		{"about", edit(t, func(s S) { s.About = "0196ed27-54e0-6a3c-8f2d-41b6e07c9e25" }), `status.about: invalid message id "0196ed27-54e0-6a3c-8f2d-41b6e07c9e25": must be a lowercase UUIDv7`},
		{"state", edit(t, func(s S) { s.State = "done" }), `status.state: must be one of received, under-review, in-execution, executed, refused, more-information-needed (is "done")`},
		{"refused without reason", edit(t, func(s S) { s.State, s.Reason = StateRefused, "" }), "status.reason: must not be empty (required when state is refused)"},
		{"more information without reason", edit(t, func(s S) { s.Reason = "" }), "status.reason: must not be empty (required when state is more-information-needed)"},
		{"reason long", edit(t, func(s S) { s.Reason = repeat("x", 2001) }), "status.reason: must be at most 2000 characters (is 2001) (required when state is more-information-needed)"},
		{"reason when executed", edit(t, func(s S) { s.State = StateExecuted }), "status.reason: must be absent unless state is refused or more-information-needed"},
		{"note long", edit(t, func(s S) { s.Note = repeat("x", 2001) }), "status.note: must be at most 2000 characters (is 2001)"},
	})
}
