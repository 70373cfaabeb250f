package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/casenode/casenode/node/agency"
)

// statusOf maps the node's error kinds to HTTP statuses.
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

func sprint(v any) string { return fmt.Sprint(v) }
