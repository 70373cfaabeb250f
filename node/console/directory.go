package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

type directoryData struct {
	Q, Country, Role string
	Cards            []*agency.Contact
	Names            map[string]string
	Countries        []string
	Roles            []protocol.ContactRole
	Own              string
}

// directory lists the contact cards the network's agencies published,
// searchable by any word of a card and filtered by country and role.
func (s *Server) directory(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	d := &directoryData{Q: strings.TrimSpace(q.Get("q")), Country: q.Get("country"), Role: q.Get("role"), Roles: protocol.ContactRoles(),
		Names: map[string]string{}, Own: s.n.Agency()}
	all, err := s.n.Contacts(r.Context(), agency.ContactQuery{})
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	for _, m := range s.n.Members(r.Context()) {
		d.Names[m.Agency] = m.Name
	}
	needle := strings.ToLower(d.Q)
	for _, ct := range all {
		if !slices.Contains(d.Countries, ct.Card.Country) {
			d.Countries = append(d.Countries, ct.Card.Country)
		}
		if d.Country != "" && ct.Card.Country != d.Country {
			continue
		}
		card := *ct.Card
		card.Contacts = slices.DeleteFunc(slices.Clone(card.Contacts), func(x protocol.Contact) bool {
			if d.Role != "" && string(x.Role) != d.Role {
				return true
			}
			if needle == "" {
				return false
			}
			hay := strings.ToLower(strings.Join([]string{card.Agency, d.Names[card.Agency], card.Country, x.Name, x.Title, string(x.Role),
				strings.Join(x.Languages, " "), x.Email, x.Phone, c.p.T("contact_role." + string(x.Role))}, " "))
			return !strings.Contains(hay, needle)
		})
		if len(card.Contacts) == 0 {
			continue
		}
		d.Cards = append(d.Cards, &agency.Contact{Card: &card, MessageID: ct.MessageID, Received: ct.Received})
	}
	slices.Sort(d.Countries)
	s.render(w, r, c, http.StatusOK, "directory", "directory.title", "directory", d)
}

// ownRows is how many contacts the own-card form offers.
const ownRows = 3

type ownData struct {
	Values url.Values
	Rows   []int
	Roles  []protocol.ContactRole
	Error  string
	Done   bool
}

// ownCard shows the agency's own card in a form, to edit and publish.
func (s *Server) ownCard(w http.ResponseWriter, r *http.Request, c *call) {
	v := url.Values{}
	cs, err := s.n.Contacts(r.Context(), agency.ContactQuery{})
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	for _, ct := range cs {
		if ct.Card.Agency != s.n.Agency() {
			continue
		}
		v.Set("country", ct.Card.Country)
		for i, x := range ct.Card.Contacts {
			if i >= ownRows {
				break
			}
			p := fmt.Sprintf("c%d.", i)
			v.Set(p+"role", string(x.Role))
			v.Set(p+"name", x.Name)
			v.Set(p+"title", x.Title)
			v.Set(p+"languages", strings.Join(x.Languages, ", "))
			v.Set(p+"phone", x.Phone)
			v.Set(p+"email", x.Email)
			v.Set(p+"availability", x.Availability)
		}
	}
	s.render(w, r, c, http.StatusOK, "own", "own.title", "directory", &ownData{Values: v, Rows: []int{0, 1, 2}, Roles: protocol.ContactRoles(), Done: r.URL.Query().Get("done") != ""})
}

// publishCard publishes the agency's card from the form to every member.
func (s *Server) publishCard(w http.ResponseWriter, r *http.Request, c *call) {
	v := r.PostForm
	card := &protocol.ContactCard{Version: protocol.BodyVersion, Agency: s.n.Agency(), Country: strings.ToUpper(strings.TrimSpace(v.Get("country"))),
		Updated: protocol.NewTime(s.now())}
	for i := range ownRows {
		p := fmt.Sprintf("c%d.", i)
		if strings.TrimSpace(v.Get(p+"name")) == "" {
			continue
		}
		x := protocol.Contact{Role: protocol.ContactRole(v.Get(p + "role")), Name: strings.TrimSpace(v.Get(p + "name")), Title: strings.TrimSpace(v.Get(p + "title")),
			Phone: strings.TrimSpace(v.Get(p + "phone")), Email: strings.TrimSpace(v.Get(p + "email")), Availability: text(v.Get(p + "availability"))}
		for _, l := range strings.FieldsFunc(v.Get(p+"languages"), func(r rune) bool { return r == ',' || r == ' ' }) {
			x.Languages = append(x.Languages, strings.ToLower(l))
		}
		card.Contacts = append(card.Contacts, x)
	}
	b, err := protocol.Marshal(card)
	if err == nil {
		_, err = s.n.PublishContact(r.Context(), c.actor(), b)
	}
	if err != nil {
		s.render(w, r, c, http.StatusUnprocessableEntity, "own", "own.title", "directory", &ownData{Values: v, Rows: []int{0, 1, 2}, Roles: protocol.ContactRoles(), Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/directory/own?done=1", http.StatusSeeOther)
}

// text normalises a text field's line ends and trims it.
func text(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
