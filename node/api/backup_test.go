package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/casenode/casenode/node/agency"
)

// TestBackupOnlyForTheOwner: a backup holds the agency's keys, so a caller
// authenticated as another operating-system user, or by a TCP token, is
// refused before anything is read.
func TestBackupOnlyForTheOwner(t *testing.T) {
	h := Handler(nil)
	for name, ctx := range map[string]context.Context{
		"other user": WithActor(context.Background(), agency.Actor{Via: agency.ViaSocket, Name: "kofi"}),
		"token":      WithActor(context.Background(), agency.Actor{Via: agency.ViaToken, Name: "clerk"}),
	} {
		r := httptest.NewRequest(http.MethodGet, "/v1/backup", nil).WithContext(ctx)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "only the node's own user may take one") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body.String())
		}
	}
}
