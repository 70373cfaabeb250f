package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/agency"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
}

// Status is an HTTP status as the kind of a *hint.Error: the client's
// errors for an error response carry the response's status this way, and
// the server answers a request error of this kind with this status. Find it
// with errors.As.
type Status int

// Error implements error.
func (s Status) Error() string { return fmt.Sprintf("HTTP %d %s", int(s), http.StatusText(int(s))) }

// StatusOf maps an error of the node to an HTTP status: its kind
// (agency.ErrNotFound, ErrInvalid, ErrNotReady), else 500. The web
// console answers the node's errors with the same statuses.
func StatusOf(err error) int {
	switch {
	case errors.Is(err, agency.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, agency.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, agency.ErrNotReady):
		return http.StatusServiceUnavailable
	case errors.Is(err, agency.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// writeError writes err as a JSON error response.
func writeError(w http.ResponseWriter, status int, err error) {
	body := ErrorBody{Error: err.Error()}
	var h hint.Hinted
	if errors.As(err, &h) {
		body.Hint = h.Hint()
	}
	writeJSON(w, status, body)
}

// badRequest is an error in the request itself.
func badRequest(fix, format string, args ...any) error {
	return &hint.Error{Kind: Status(http.StatusBadRequest), Msg: fmt.Sprintf(format, args...), Fix: fix}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// UnreachableError reports that the client cannot reach the node.
type UnreachableError struct {
	Where string
	Err   error
}

// Error implements error.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the node at %s: %v", e.Where, e.Err)
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Hint says what to do about it.
func (e *UnreachableError) Hint() string {
	return "is the node running? start it with 'casenode run --dir DIR' and check --dir"
}
