package console

import (
	"net/http"
)

// banners says what every page must warn of: the hub unreachable (and
// that sending still works), the roster expiring or expired, alarms.
func (s *Server) banners(r *http.Request, c *call) []banner {
	st, err := s.n.Status(r.Context())
	if err != nil {
		return []banner{{Level: "alarm", Text: c.p.T("banner.nostatus")}}
	}
	p := c.p
	var out []banner
	if st.Hub.State != "online" {
		out = append(out, banner{Level: "warn", Text: p.T("banner.offline", "Since", p.DateTime(st.Hub.Since)) + " " +
			p.TN("banner.offline.outbox", int(st.PendingReceipts))})
	}
	if st.Hub.OverLimit != "" {
		since := ""
		if st.Hub.OverLimitSince != nil {
			since = p.DateTime(*st.Hub.OverLimitSince)
		}
		out = append(out, banner{Level: "alarm", Text: p.T("banner.overlimit", "Since", since, "Detail", st.Hub.OverLimit)})
	}
	if ro := st.Roster; ro == nil {
		out = append(out, banner{Level: "warn", Text: p.T("banner.noroster")})
	} else {
		switch {
		case ro.Expired:
			out = append(out, banner{Level: "alarm", Text: p.T("banner.roster.expired", "Date", p.DateTime(ro.Expires))})
		case ro.ExpiresSoon:
			out = append(out, banner{Level: "warn", Text: p.T("banner.roster.expiring", "Date", p.DateTime(ro.Expires))})
		}
	}
	als, err := s.n.Alarms(r.Context())
	if err != nil {
		return append(out, banner{Level: "alarm", Text: p.T("banner.nostatus")})
	}
	for _, al := range als {
		if al.Open() {
			out = append(out, banner{Level: "alarm", Text: p.T("banner.alarm", "Kind", p.T("alarm."+al.Kind), "Detail", al.Text)})
		}
	}
	return out
}
