package secretariat

import (
	"net/http"
	"time"

	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
)

// membersData is the members page's data.
type membersData struct {
	Serial   uint64
	Issued   time.Time
	Expires  time.Time
	Members  []hub.MemberHealth
	Renewed  uint64 // the serial a renewal just signed, on the page after it
	Witness  bool   // whether the hub's witness reports checkpoints
	Silent   time.Duration
	Observer bool
	// Actions are the latest changes made at the hub, from its audit log.
	Actions []hub.RecordedAction
}

func (s *Server) members(w http.ResponseWriter, r *http.Request, c *call) {
	ms, err := s.h.Members(r.Context())
	if err != nil {
		s.failErr(w, r, c, http.StatusInternalServerError, err)
		return
	}
	ro := s.h.Roster().Roster
	d := &membersData{Serial: ro.Serial, Issued: ro.Issued.Time, Expires: ro.Expires.Time, Members: ms,
		Silent: time.Duration(s.h.Config().MemberSilentAfter), Observer: c.staff.Role != hub.RoleSecretariat}
	if d.Actions, err = s.h.RecentActions(10); err != nil {
		s.log.Warn("read the hub's audit log", "err", err)
	}
	s.render(w, r, c, http.StatusOK, "members", "sec.members.title", "members", d)
}

// memberData is one member's page.
type memberData struct {
	M hub.MemberHealth
	// Done says what a change just did, for the page after it.
	Done  string
	Error string
	// Card is the rotation form's pasted card, kept after an error.
	Card    string
	Overlap string
	Active  bool
}

func (s *Server) memberHealth(r *http.Request, id string) (*hub.MemberHealth, error) {
	ms, err := s.h.Members(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].Agency == id {
			return &ms[i], nil
		}
	}
	return nil, nil
}

func (s *Server) member(w http.ResponseWriter, r *http.Request, c *call) {
	s.memberPage(w, r, c, http.StatusOK, &memberData{Done: doneMessage(r.URL.Query().Get("done")), Overlap: "72h"})
}

// doneMessage is the message id of a change named in a redirect's query.
func doneMessage(done string) string {
	switch done {
	case "revoked", "rotated", "witness-reset":
		return "sec.member.done." + done
	}
	return ""
}

func (s *Server) memberPage(w http.ResponseWriter, r *http.Request, c *call, status int, d *memberData) {
	id := r.PathValue("id")
	if protocol.ValidateID("agency", id) != nil {
		http.NotFound(w, r)
		return
	}
	m, err := s.memberHealth(r, id)
	if err != nil {
		s.failErr(w, r, c, http.StatusInternalServerError, err)
		return
	}
	if m == nil {
		s.fail(w, r, c, http.StatusNotFound, "sec.error.nomember", "Agency", id)
		return
	}
	d.M, d.Active = *m, m.Status == protocol.StatusActive
	s.render(w, r, c, status, "member", "sec.member.title", "members", d)
}
