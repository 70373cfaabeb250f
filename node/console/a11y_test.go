package console_test

import (
	"context"
	"testing"

	"github.com/casenode/casenode/node/console/browsertest"
)

// checkAccessible checks the page the tab shows: sufficient contrast of
// every text, a label for every form control, and a visible outline on
// the element the keyboard focuses (browsertest.CheckAccessible).
func checkAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	browsertest.CheckAccessible(t, ctx, page)
}
