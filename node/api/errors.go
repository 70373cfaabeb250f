package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/casenode/casenode/node/agency"
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
}

// Error is an error response from the node, as the client sees it.
type Error struct {
	// Status is the HTTP status code.
	Status  int
	Message string
	Fix     string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Hint says what to do about it.
func (e *Error) Hint() string { return e.Fix }

// hinted is an error that says what to do about it.
type hinted interface{ Hint() string }

// statusOf maps an error from the node to an HTTP status code.
func statusOf(err error) int {
	switch {
	case errors.Is(err, agency.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, agency.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, agency.ErrNotReady):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError writes err as a JSON error response.
func writeError(w http.ResponseWriter, status int, err error) {
	body := ErrorBody{Error: err.Error()}
	var h hinted
	if errors.As(err, &h) {
		body.Hint = h.Hint()
	}
	writeJSON(w, status, body)
}

// badRequest is an error in the request itself.
func badRequest(hint, format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...), Fix: hint}
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
