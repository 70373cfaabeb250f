package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// inboxFilter is the inbox page's filter, from its query string.
type inboxFilter struct {
	Case, From, Type, Country, Since, Q string
}

// inboxRow is one message of the inbox.
type inboxRow struct {
	*agency.MessageSummary
	Country string
	Sender  string
}

type inboxData struct {
	Filter    inboxFilter
	Rows      []inboxRow
	Unread    int
	Types     []protocol.MessageType
	Members   []agency.Member
	Countries []string
}

// inbox lists the received messages, unread first, newest first within
// each, filtered by case, sender, type, sender's country, date and text.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	f := inboxFilter{Case: q.Get("case"), From: q.Get("from"), Type: q.Get("type"), Country: q.Get("country"), Since: q.Get("since"), Q: strings.TrimSpace(q.Get("q"))}
	iq := agency.InboxQuery{Case: f.Case, From: f.From, Type: protocol.MessageType(f.Type)}
	ms, err := s.n.Inbox(r.Context(), iq)
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	members := s.n.Members(r.Context())
	byID := map[string]agency.Member{}
	var countries []string
	for _, m := range members {
		byID[m.Agency] = m
		if !slices.Contains(countries, m.Country) {
			countries = append(countries, m.Country)
		}
	}
	slices.Sort(countries)
	var since time.Time
	if f.Since != "" {
		since, _ = time.Parse(time.DateOnly, f.Since)
	}
	needle := strings.ToLower(f.Q)
	d := &inboxData{Filter: f, Types: []protocol.MessageType{protocol.TypeLead, protocol.TypeRequest, protocol.TypeReply, protocol.TypeStatus, protocol.TypeContact},
		Members: members, Countries: countries}
	for _, m := range ms {
		mem := byID[m.From]
		if f.Country != "" && mem.Country != f.Country {
			continue
		}
		if !since.IsZero() && m.Received.Before(since) {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(m.Summary+" "+summary(c.p, m.Type, m.Summary)+" "+m.From+" "+mem.Name+" "+m.Case+" "+m.ID), needle) {
			continue
		}
		if !m.Read {
			d.Unread++
		}
		d.Rows = append(d.Rows, inboxRow{MessageSummary: m, Country: mem.Country, Sender: mem.Name})
	}
	slices.SortStableFunc(d.Rows, func(a, b inboxRow) int {
		if a.Read != b.Read {
			if !a.Read {
				return -1
			}
			return 1
		}
		return b.Received.Compare(a.Received)
	})
	s.render(w, r, c, http.StatusOK, "inbox", "inbox.title", "inbox", d)
}
