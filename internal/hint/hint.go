// Package hint holds the error a user can act on: what went wrong and what
// to do about it. The CLI prints the first as "casenode: error: …" and the
// second as "casenode: hint: …", the way age does; the local API sends both
// in its error body.
//
// Every package that tells its user what to do returns an *Error, or an
// error type of its own that implements Hinted (seal.Error, the
// ExistsErrors, api.UnreachableError).
package hint

import "fmt"

// Hinted is implemented by errors that say what the user should do next.
// Find it in a chain of wrapped errors with errors.As.
type Hinted interface{ Hint() string }

// Error is an error a user can act on.
type Error struct {
	// Kind, if set, is what errors.Is matches beneath the error: a
	// sentinel such as agency.ErrNotFound, or an api.Status.
	Kind error
	// Msg says what went wrong; it is the error's text.
	Msg string
	// Fix says what to do about it; it is the hint.
	Fix string
}

// New returns an *Error without a kind, its message formatted.
func New(fix, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Fix: fix}
}

// Error implements error.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// Hint says what to do about it.
func (e *Error) Hint() string { return e.Fix }

var _ Hinted = (*Error)(nil)
