package agency

import (
	"unicode/utf8"
)

// maxActorLen bounds the name of who acts on the node, in bytes, as the
// audit log does.
const maxActorLen = 255

// How an actor's name was established (Actor.Via).
const (
	// ViaSocket: the operating-system user of the process at the other end
	// of the API's Unix socket, as the kernel tells it (SO_PEERCRED).
	ViaSocket = "socket"
	// ViaToken: the holder the TCP API's token file names for the bearer
	// token the request presented.
	ViaToken = "token"
	// ViaProcess: code running in the node's own process (the demo, the
	// bench), which names itself.
	ViaProcess = "process"
)

// Actor is who acts on the node: the name the node authenticated, which
// the audit log records, and beside it the name the caller gave itself,
// which is only a label for display (the Casenode-Actor header of the API:
// anyone can write anything there). Other front ends add their own Via,
// such as a console that signs its users in.
type Actor struct {
	// Via says how Name was established: ViaSocket, ViaToken, ViaProcess.
	Via string `json:"via"`
	// Name is the authenticated actor, as the audit log records it.
	Name string `json:"name"`
	// Label is the name the caller declared, unverified; empty if none or
	// the same as Name.
	Label string `json:"label,omitempty"`
}

// String returns the actor for display: the name, then the declared label
// if it differs.
func (a Actor) String() string {
	if a.Label == "" || a.Label == a.Name {
		return a.Name
	}
	return a.Name + " (says " + a.Label + ")"
}

// label returns the declared label if it differs from the name.
func (a Actor) label() string {
	if a.Label == a.Name {
		return ""
	}
	return a.Label
}

// check checks the actor's name and label: 1 to 255 bytes of UTF-8
// without control characters (the label may be empty).
func (a Actor) check() error {
	if err := checkActor(a.Name); err != nil {
		return err
	}
	if a.Label != "" {
		return checkActor(a.Label)
	}
	return nil
}

// checkActor checks the name of the local user or service acting on the
// node, as the audit log records it: 1 to 255 bytes of UTF-8 without
// control characters.
func checkActor(actor string) error {
	fix := "the actor is who uses the node: the API takes it from the operating system (Unix socket) or the token's holder (TCP)"
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
