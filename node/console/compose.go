package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/store"
	"github.com/casenode/casenode/protocol"
)

// composeData is the compose page: the form of one kind of message, the
// values typed so far, and the errors of each field.
type composeData struct {
	// Kind is a request kind, or "reply".
	Kind   string
	Kinds  []protocol.RequestKind
	Values url.Values
	Errors map[string]string
	// Recipients are the active members but this agency.
	Recipients []agency.Member
	// Fixed says the recipient is set by the message answered.
	Fixed     bool
	Urgencies []protocol.Urgency
	// Draft is the id of the draft being edited, or ""; Saved says it was
	// just saved. Drafts are the person's other drafts.
	Draft  string
	Saved  bool
	Drafts []*store.Draft
}

// Has says whether values hold v for key (a checked box).
func (d *composeData) Has(key, v string) bool { return slices.Contains(d.Values[key], v) }

func (s *Server) recipients(r *http.Request) []agency.Member {
	var out []agency.Member
	for _, m := range s.n.Members(r.Context()) {
		if m.Agency != s.n.Agency() && m.Status == protocol.StatusActive {
			out = append(out, m)
		}
	}
	return out
}

// composePage shows a form: ?kind=REQUEST-KIND for a request, ?reply=ID
// for the reply to a received message (case, reference and recipient
// filled in).
func (s *Server) composePage(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	v := url.Values{}
	d := &composeData{Kind: q.Get("kind"), Values: v, Errors: map[string]string{}, Kinds: protocol.RequestKinds(), Urgencies: protocol.Urgencies()}
	if id := q.Get("draft"); id != "" {
		kind, dv, err := s.loadDraft(r, c, id)
		if err != nil {
			s.failErr(w, r, c, err)
			return
		}
		d.Kind, d.Values, d.Draft, d.Saved, d.Fixed = kind, dv, id, q.Get("saved") != "", kind == "reply"
		d.Recipients = s.recipients(r)
		s.render(w, r, c, http.StatusOK, "compose", "nav.compose", "compose", d)
		return
	}
	if ref := q.Get("reply"); ref != "" {
		ms, err := s.n.Inbox(r.Context(), agency.InboxQuery{})
		if err != nil {
			s.failErr(w, r, c, err)
			return
		}
		i := slices.IndexFunc(ms, func(m *agency.MessageSummary) bool { return m.ID == ref })
		if i < 0 {
			s.fail(w, r, c, http.StatusNotFound, "compose.noreference")
			return
		}
		d.Kind, d.Fixed = "reply", true
		v.Set("reference", ref)
		v.Set("case", ms[i].Case)
		v.Set("to", ms[i].From)
	}
	if d.Kind == "" {
		d.Kind = string(protocol.RequestPreservation)
	}
	if d.Kind != "reply" && !slices.Contains(protocol.RequestKinds(), protocol.RequestKind(d.Kind)) {
		s.fail(w, r, c, http.StatusNotFound, "compose.nokind")
		return
	}
	v.Set("urgency", string(protocol.UrgencyRoutine))
	v.Set("languages", c.p.Lang())
	d.Recipients = s.recipients(r)
	if !d.Fixed {
		ds, err := s.n.Drafts(r.Context(), c.account.Name)
		if err != nil {
			s.failErr(w, r, c, err)
			return
		}
		d.Drafts = ds
	}
	s.render(w, r, c, http.StatusOK, "compose", "nav.compose", "compose", d)
}

// compose checks the form and sends the message; on a mistake it shows
// the form again with the error next to the field at fault.
func (s *Server) compose(w http.ResponseWriter, r *http.Request, c *call) {
	v := r.PostForm
	d := &composeData{Kind: v.Get("kind"), Values: v, Errors: map[string]string{}, Kinds: protocol.RequestKinds(), Urgencies: protocol.Urgencies(),
		Recipients: s.recipients(r), Fixed: v.Get("kind") == "reply", Draft: v.Get("draft")}
	if v.Get("save") != "" {
		s.saveDraft(w, r, c, d.Kind)
		return
	}
	typ, body := s.composeBody(d)
	to := v["to"]
	if len(to) == 0 {
		d.Errors["to"] = "compose.error.to"
	}
	if cs := v.Get("case"); cs != "" && protocol.ValidateID("case", cs) != nil {
		d.Errors["case"] = "compose.error.case"
	}
	if len(d.Errors) == 0 {
		if err := protocol.ValidateBody(typ, body); err != nil {
			d.Errors[fieldOf(err.Error())] = err.Error()
		}
	}
	if len(d.Errors) == 0 {
		_, err := s.n.Send(r.Context(), c.actor(), agency.SendRequest{To: to, Type: typ, Case: v.Get("case"), Body: body})
		if err == nil {
			if d.Draft != "" {
				if err := s.n.DeleteDraft(r.Context(), c.account.Name, d.Draft); err != nil {
					s.log.Warn("discard the draft of a message sent", "err", err)
				}
			}
			http.Redirect(w, r, "/sent", http.StatusSeeOther)
			return
		}
		d.Errors["form"] = err.Error()
	}
	s.render(w, r, c, http.StatusUnprocessableEntity, "compose", "nav.compose", "compose", d)
}

// composeBody builds the message body from the form.
func (s *Server) composeBody(d *composeData) (protocol.MessageType, json.RawMessage) {
	v := d.Values
	if d.Kind == "reply" {
		b, _ := protocol.Marshal(&protocol.Reply{Version: protocol.BodyVersion, InReplyTo: v.Get("reference"), Text: text(v.Get("text"))})
		return protocol.TypeReply, b
	}
	req := &protocol.Request{Version: protocol.BodyVersion, Kind: protocol.RequestKind(d.Kind), Facts: text(v.Get("facts")),
		Urgency: protocol.Urgency(v.Get("urgency"))}
	if in := strings.TrimSpace(v.Get("instrument")); in != "" {
		req.LegalBasis = []protocol.LegalBasis{{Instrument: in, Article: strings.TrimSpace(v.Get("article"))}}
	}
	for _, l := range strings.Split(text(v.Get("measures")), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			req.MeasuresRequested = append(req.MeasuresRequested, l)
		}
	}
	for _, l := range strings.FieldsFunc(v.Get("languages"), func(r rune) bool { return r == ',' || r == ' ' }) {
		req.Languages = append(req.Languages, strings.ToLower(l))
	}
	if dl := v.Get("deadline"); dl != "" {
		if t, err := time.Parse(time.DateOnly, dl); err == nil {
			req.Deadline = protocol.Time{Time: t.Add(17 * time.Hour)}
		} else {
			d.Errors["deadline"] = "compose.min.error.date"
		}
	}
	b, _ := protocol.Marshal(req)
	return protocol.TypeRequest, b
}

// text normalises a text area's line ends.
func text(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

// fieldOf returns the form field a protocol validation error names:
// "request.facts: …" → facts, "request.legal_basis[0].instrument" →
// instrument.
func fieldOf(msg string) string {
	path, _, _ := strings.Cut(msg, ":")
	path = path[strings.LastIndexByte(path, '.')+1:]
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	switch path {
	case "legal_basis":
		return "instrument"
	case "measures_requested":
		return "measures"
	case "in_reply_to":
		return "reference"
	}
	return path
}
