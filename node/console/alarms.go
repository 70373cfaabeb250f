package console

import (
	"net/http"
	"strconv"

	"github.com/casenode/casenode/node/agency"
)

// statusData is the status page: the node's status and its alarms, which
// an administrator acknowledges there.
type statusData struct {
	*agency.Status
	Alarms []agency.Alarm
	// Admin says the reader may acknowledge alarms.
	Admin bool
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request, c *call) {
	st, err := s.n.Status(r.Context())
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	als, err := s.n.Alarms(r.Context())
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, "status", "status.title", "status", &statusData{Status: st, Alarms: als, Admin: c.account.Role == agency.RoleAdmin})
}

// ackAlarm acknowledges an alarm, for an administrator only; the audit log
// records it under the person's account.
func (s *Server) ackAlarm(w http.ResponseWriter, r *http.Request, c *call) {
	if c.account.Role != agency.RoleAdmin {
		s.fail(w, r, c, http.StatusForbidden, "status.alarm.adminonly")
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, c, http.StatusNotFound, "status.alarm.unknown")
		return
	}
	if _, err := s.n.AckAlarm(r.Context(), c.actor(), id); err != nil {
		s.failErr(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}
