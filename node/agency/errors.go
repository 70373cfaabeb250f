package agency

import (
	"errors"
	"fmt"
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
)

// Error is an error a user can act on: its kind, what went wrong, and
// what to do about it.
type Error struct {
	Kind error
	Msg  string
	Fix  string
}

// Error implements error.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Hint says what to do about it.
func (e *Error) Hint() string { return e.Fix }

func notFound(fix, format string, args ...any) error {
	return &Error{Kind: ErrNotFound, Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func invalid(fix, format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func notReady(fix, format string, args ...any) error {
	return &Error{Kind: ErrNotReady, Msg: fmt.Sprintf(format, args...), Fix: fix}
}
