package agency

import (
	"errors"
	"fmt"

	"github.com/casenode/casenode/internal/hint"
)

// Kinds of errors the node's methods return, for errors.Is; the local API
// maps each to an HTTP status.
var (
	// ErrNotFound: no message, case or card with that id.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request itself is wrong (a body, a recipient, an id).
	ErrInvalid = errors.New("invalid request")
	// ErrNotReady: the node cannot do it yet, typically before it has a
	// roster.
	ErrNotReady = errors.New("not ready")
	// ErrConflict: the request does not fit the state of what it is about,
	// for example a cancel of a message already published.
	ErrConflict = errors.New("conflict")
)

func notFound(fix, format string, args ...any) error {
	return &hint.Error{Kind: ErrNotFound, Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func invalid(fix, format string, args ...any) error {
	return &hint.Error{Kind: ErrInvalid, Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func notReady(fix, format string, args ...any) error {
	return &hint.Error{Kind: ErrNotReady, Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func conflict(fix, format string, args ...any) error {
	return &hint.Error{Kind: ErrConflict, Msg: fmt.Sprintf(format, args...), Fix: fix}
}
