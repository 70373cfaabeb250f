package secretariat

import (
	"net/http"

	"github.com/casenode/casenode/node/hub"
)

func (s *Server) alarms(w http.ResponseWriter, r *http.Request, c *call) {
	as, err := s.h.Alarms(r.Context(), s.now())
	if err != nil {
		s.failErr(w, r, c, http.StatusInternalServerError, err)
		return
	}
	if as == nil {
		as = []hub.Alarm{}
	}
	s.render(w, r, c, http.StatusOK, "alarms", "sec.alarms.title", "alarms", as)
}
