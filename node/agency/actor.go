package agency

import (
	"unicode/utf8"
)

// maxActorLen bounds the name of who acts on the node, in bytes, as the
// audit log does.
const maxActorLen = 255

// checkActor checks the name of the local user or service acting on the
// node, as the audit log records it: 1 to 255 bytes of UTF-8 without
// control characters.
func checkActor(actor string) error {
	fix := "the actor is the local user's name, which the casenode commands send from $USER"
	if actor == "" {
		return invalid(fix, "no actor: every action on the node is recorded with who did it")
	}
	if len(actor) > maxActorLen || !utf8.ValidString(actor) {
		return invalid(fix, "actor %.40q… is not 1 to %d bytes of UTF-8", actor, maxActorLen)
	}
	for _, c := range actor {
		if c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 {
			return invalid(fix, "actor %q contains control characters", actor)
		}
	}
	return nil
}
