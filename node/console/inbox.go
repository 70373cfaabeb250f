package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

// pageRows is how many messages a page of the inbox lists, so that a page
// stays light on a slow link.
const pageRows = 100

type inboxData struct {
	Filter inboxFilter
	Rows   []inboxRow
	// Total counts the messages the filter selects; Unread those unread.
	Total  int
	Unread int
	// Prev and Next are the links to the pages around this one, or "".
	Prev, Next string
	Types      []protocol.MessageType
	Members    []agency.Member
	Countries  []string
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
	d.Total = len(d.Rows)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return "/inbox?" + v.Encode()
	}
	if page > 1 {
		d.Prev = link(page - 1)
	}
	if page*pageRows < len(d.Rows) {
		d.Next = link(page + 1)
	}
	d.Rows = d.Rows[min((page-1)*pageRows, len(d.Rows)):min(page*pageRows, len(d.Rows))]
	s.render(w, r, c, http.StatusOK, "inbox", "inbox.title", "inbox", d)
}
