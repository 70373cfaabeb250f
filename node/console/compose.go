package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/compose"
	"github.com/casenode/casenode/protocol"
)

// composeData is the compose page: the choice of a form, or one form (a
// compose.View inside the console's own <form>, with the recipients),
// and the person's drafts.
type composeData struct {
	// Forms are the forms to choose from, when none is chosen.
	Forms []*compose.Form
	// View is the form being written, or nil.
	View *compose.View
	// Recipients are the active members but this agency; To those chosen.
	Recipients []recipient
	To         []string
	// Fixed says the recipient is set by the message answered.
	Fixed bool
	// Narrow is what the person typed to narrow the list of recipients
	// (a country, a desk, a language, part of a name).
	Narrow string
	// ToError is the i18n id of an error about the recipients;
	// SendError what the node said when it refused to send.
	ToError, SendError string
	// Draft is the id of the draft being edited, or ""; Saved says it was
	// just saved. Drafts are the person's drafts.
	Draft  string
	Saved  bool
	Drafts []*agency.Draft
}

// Describe names agency a as the recipients list does.
func (d *composeData) Describe(a string) string {
	for _, r := range d.Recipients {
		if r.Agency == a {
			return r.Name + " (" + r.Agency + ", " + r.Country + ")"
		}
	}
	return a
}

// Shown returns the recipients to list: those chosen, and those that
// match every word of Narrow (country code, agency id, part of the name,
// a desk of its contact card or a language, in any case).
func (d *composeData) Shown() []recipient {
	words := strings.Fields(strings.ToLower(d.Narrow))
	var out []recipient
	for _, r := range d.Recipients {
		if d.Chosen(r.Agency) || r.matches(words) {
			out = append(out, r)
		}
	}
	return out
}

// matches says whether every word names something of the recipient.
func (r recipient) matches(words []string) bool {
	for _, w := range words {
		ok := strings.EqualFold(r.Country, w) || strings.Contains(strings.ToLower(r.Agency), w) || strings.Contains(strings.ToLower(r.Name), w) || slices.Contains(r.Languages, w)
		for _, role := range r.Roles {
			ok = ok || strings.Contains(strings.ToLower(string(role)), w)
		}
		if !ok {
			return false
		}
	}
	return true
}

// Chosen says whether agency a is among the recipients.
func (d *composeData) Chosen(a string) bool { return slices.Contains(d.To, a) }

// recipient is an agency one may write to: a member of the roster, with
// what its contact card says of its desks and languages.
type recipient struct {
	agency.Member
	Roles     []protocol.ContactRole
	Languages []string
}

// recipients returns the active members but this agency, each with the
// roles and languages of its contact card, if the directory has one.
func (s *Server) recipients(r *http.Request) []recipient {
	cards := map[string]*protocol.ContactCard{}
	if cs, err := s.n.Contacts(r.Context(), agency.ContactQuery{}); err == nil {
		for _, c := range cs {
			cards[c.Card.Agency] = c.Card
		}
	}
	var out []recipient
	for _, m := range s.n.Members(r.Context()) {
		if m.Agency == s.n.Agency() || m.Status != protocol.StatusActive {
			continue
		}
		rc := recipient{Member: m}
		if card := cards[m.Agency]; card != nil {
			for _, c := range card.Contacts {
				if !slices.Contains(rc.Roles, c.Role) {
					rc.Roles = append(rc.Roles, c.Role)
				}
				for _, l := range c.Languages {
					if !slices.Contains(rc.Languages, l) {
						rc.Languages = append(rc.Languages, l)
					}
				}
			}
		}
		out = append(out, rc)
	}
	return out
}

// answers says whether a form answers another message (its recipient is
// that message's sender).
func answers(f *compose.Form) bool {
	return f.Type == protocol.TypeReply || f.Type == protocol.TypeStatus
}

// composePage shows the choice of forms, or one form: ?kind=KIND,
// ?reply=ID[&kind=status] to answer a received message (case, reference
// and recipient filled in), ?draft=ID to go on with a draft.
func (s *Server) composePage(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	d := &composeData{Recipients: s.recipients(r)}
	switch {
	case q.Get("draft") != "":
		kind, v, err := s.loadDraft(r, c, q.Get("draft"))
		if err != nil {
			s.failErr(w, r, c, err)
			return
		}
		f, ok := compose.Lookup(kind)
		if !ok {
			s.fail(w, r, c, http.StatusNotFound, "composer.nokind")
			return
		}
		d.View, d.To, d.Fixed, d.Draft, d.Saved = &compose.View{Form: f, Values: v}, v["to"], answers(f), q.Get("draft"), q.Get("saved") != ""
	case q.Get("reply") != "":
		ref := q.Get("reply")
		ms, err := s.n.Inbox(r.Context(), agency.InboxQuery{})
		if err != nil {
			s.failErr(w, r, c, err)
			return
		}
		i := slices.IndexFunc(ms, func(m *agency.MessageSummary) bool { return m.ID == ref })
		kind := "reply"
		if q.Get("kind") == "status" {
			kind = "status"
		}
		var v url.Values
		if i >= 0 {
			v = compose.ReplyPrefill(ms[i].Type, ms[i].Case, ref)
		}
		if v == nil {
			s.fail(w, r, c, http.StatusNotFound, "composer.noreference")
			return
		}
		f, _ := compose.Lookup(kind)
		d.View, d.To, d.Fixed = &compose.View{Form: f, Values: v}, []string{ms[i].From}, true
	case q.Get("kind") != "":
		f, ok := compose.Lookup(q.Get("kind"))
		if !ok || answers(f) {
			s.fail(w, r, c, http.StatusNotFound, "composer.nokind")
			return
		}
		d.View = &compose.View{Form: f, Values: url.Values{}}
	default:
		for _, f := range compose.Forms() {
			if !answers(f) {
				d.Forms = append(d.Forms, f)
			}
		}
		ds, err := s.n.Drafts(r.Context(), c.account.Name)
		if err != nil {
			s.failErr(w, r, c, err)
			return
		}
		d.Drafts = ds
	}
	s.render(w, r, c, http.StatusOK, "compose", "nav.compose", "compose", d)
}

// compose handles a submitted form: one more row of a group, a draft to
// keep, or a message to send; a mistake shows the form again with the
// error next to the field at fault.
func (s *Server) compose(w http.ResponseWriter, r *http.Request, c *call) {
	v := r.PostForm
	f, ok := compose.Lookup(v.Get("kind"))
	if !ok {
		s.fail(w, r, c, http.StatusNotFound, "composer.nokind")
		return
	}
	d := &composeData{View: &compose.View{Form: f, Values: v}, Recipients: s.recipients(r), To: v["to"], Fixed: answers(f), Draft: v.Get("draft"), Narrow: v.Get("narrow")}
	switch {
	case v.Get("save") != "":
		s.saveDraft(w, r, c, f.Kind)
		return
	case v.Get(compose.AddRowField) != "" || v.Get("narrow_go") != "":
		s.render(w, r, c, http.StatusOK, "compose", "nav.compose", "compose", d)
		return
	}
	body, errs, err := f.Parse(v)
	d.View.Errors = errs
	if len(d.To) == 0 {
		d.ToError = "composer.error.to"
	}
	if err == nil && d.ToError == "" {
		_, err = s.n.Send(r.Context(), c.actor(), agency.SendRequest{To: d.To, Type: f.Type, Case: compose.CaseID(v), Body: body, Attach: c.files})
		if err == nil {
			if d.Draft != "" {
				if err := s.n.DeleteDraft(r.Context(), c.account.Name, d.Draft); err != nil {
					s.log.Warn("discard the draft of a message sent", "err", err)
				}
			}
			http.Redirect(w, r, "/sent", http.StatusSeeOther)
			return
		}
		if !errors.Is(err, compose.ErrInvalid) {
			d.SendError = err.Error()
		}
	}
	s.render(w, r, c, http.StatusUnprocessableEntity, "compose", "nav.compose", "compose", d)
}
