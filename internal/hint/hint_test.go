package hint

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	kind := errors.New("not found")
	var err error = fmt.Errorf("show: %w", &Error{Kind: kind, Msg: "no message 42", Fix: "'casenode inbox' lists them"})
	if err.Error() != "show: no message 42" {
		t.Errorf("text %q", err)
	}
	if !errors.Is(err, kind) {
		t.Error("errors.Is does not find the kind")
	}
	var h Hinted
	if !errors.As(err, &h) || h.Hint() != "'casenode inbox' lists them" {
		t.Errorf("hint %v", h)
	}
	var e *Error
	if !errors.As(err, &e) || e.Msg != "no message 42" {
		t.Errorf("errors.As: %v", e)
	}
	if n := New("fix it", "bad %d", 7); n.Error() != "bad 7" || n.Hint() != "fix it" || n.Unwrap() != nil {
		t.Errorf("New: %q %q %v", n.Error(), n.Hint(), n.Unwrap())
	}
}
