package agency

import "fmt"

// Check is one of the conditions a node needs to do its work, as its
// readiness endpoint (/readyz) and 'casenode status' report them.
type Check struct {
	// Name is "hub", "roster" or "audit-log".
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail says what is wrong, or what holds.
	Detail string `json:"detail"`
}

// Ready says whether every check holds.
func (s *Status) Ready() bool {
	for _, c := range s.Checks {
		if !c.OK {
			return false
		}
	}
	return len(s.Checks) > 0
}

// checks derives the readiness checks from the rest of the status: the
// node is connected to the hub, holds a roster in force in which its
// agency is active, and its audit log takes records.
func (s *Status) checks() []Check {
	hub := Check{Name: "hub", OK: s.Running && s.Hub.State == "online", Detail: "connected to " + s.Hub.URL}
	switch {
	case !s.Running:
		hub.Detail = "the node is not running"
	case s.Hub.State != "online":
		hub.Detail = "the hub is " + s.Hub.State
		if s.Hub.LastError != "" {
			hub.Detail += ": " + s.Hub.LastError
		}
	}
	roster := Check{Name: "roster", OK: true}
	switch r := s.Roster; {
	case r == nil:
		roster = Check{Name: "roster", Detail: "no roster yet: the node has not reached the hub since it joined"}
	case r.Expired:
		roster = Check{Name: "roster", Detail: fmt.Sprintf("roster %d expired on %s", r.Serial, r.Expires.UTC().Format("2006-01-02 15:04 UTC"))}
	case r.Standing != "active":
		roster = Check{Name: "roster", Detail: fmt.Sprintf("this agency is %s in roster %d", r.Standing, r.Serial)}
	default:
		roster.Detail = fmt.Sprintf("roster %d in force until %s", r.Serial, r.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	}
	audit := Check{Name: "audit-log", OK: true, Detail: fmt.Sprintf("%d records", s.Audit.Records)}
	switch {
	case s.Audit.Failed != "":
		audit = Check{Name: "audit-log", Detail: "the audit log takes no records: " + s.Audit.Failed}
	case s.WriteAlarm != nil:
		audit = Check{Name: "audit-log", Detail: "the disk is full: the node takes no input until it can write"}
	}
	return []Check{hub, roster, audit}
}
