package console

import (
	"net/http"
	"strings"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/compose"
	"github.com/casenode/casenode/protocol"
)

// messageData is a message opened for a person: the node's Message and
// its body decoded by type.
type messageData struct {
	M       *agency.Message
	Lead    *protocol.Lead
	Request *protocol.Request
	Reply   *protocol.Reply
	Status  *protocol.Status
	Contact *protocol.ContactCard
	// Sender is the sending agency as the roster names it.
	Sender agency.Member
	// Incoming says the message was received (it can be answered).
	Incoming bool
	// Facts and Measures are a request's facts and measures cut into the
	// parts the guided form wrote, each with the i18n id of the question
	// it answers ("" for the free text).
	Facts, Measures []part
	// Answers are the replies and status reports of the case that answer
	// this message.
	Answers []*agency.ThreadMessage
}

// part is one answer of a request, under the question it answers.
type part struct {
	Label string
	Text  string
}

// requestParts cuts a request's facts and measures into the answers the
// form for its kind wrote ("LABEL:\nanswer" paragraphs, "LABEL: answer"
// measures), so that each is named in the reader's language.
func requestParts(r *protocol.Request) (facts, measures []part) {
	labels := map[string]string{}
	if f, ok := compose.Lookup(string(r.Kind)); ok {
		labels = f.Labels()
	}
	free := ""
	for _, para := range strings.Split(r.Facts, "\n\n") {
		head, rest, ok := strings.Cut(para, ":\n")
		if id := labels[head]; ok && id != "" {
			facts = append(facts, part{Label: id, Text: rest})
			continue
		}
		if free != "" {
			free += "\n\n"
		}
		free += para
	}
	if free != "" {
		facts = append([]part{{Text: free}}, facts...)
	}
	for _, m := range r.MeasuresRequested {
		head, rest, ok := strings.Cut(m, ": ")
		if id := labels[head]; ok && id != "" {
			measures = append(measures, part{Label: id, Text: rest})
			continue
		}
		measures = append(measures, part{Text: m})
	}
	return facts, measures
}

// confirmData is the page that asks before opening an unread message.
type confirmData struct {
	M *agency.MessageSummary
}

// message shows a message. An unread received message is opened only by
// a POST (openMessage), because opening it sends the sender a read
// receipt: the GET asks first.
func (s *Server) message(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	unread, err := s.n.Inbox(r.Context(), agency.InboxQuery{Unread: true})
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	for _, m := range unread {
		if m.ID == id {
			s.render(w, r, c, http.StatusOK, "confirm", "message.confirm.title", "inbox", &confirmData{M: m})
			return
		}
	}
	s.show(w, r, c, id)
}

// openMessage opens a message: the access is recorded under the person's
// account and, the first time, the sender gets a read receipt.
func (s *Server) openMessage(w http.ResponseWriter, r *http.Request, c *call) {
	s.show(w, r, c, r.PathValue("id"))
}

func (s *Server) show(w http.ResponseWriter, r *http.Request, c *call, id string) {
	m, err := s.n.Show(r.Context(), c.actor(), id)
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	d := &messageData{M: m, Incoming: m.Direction == agency.DirectionIn}
	for _, mem := range s.n.Members(r.Context()) {
		if mem.Agency == m.Header.From {
			d.Sender = mem
		}
	}
	if d.Sender.Agency == "" {
		d.Sender = agency.Member{Agency: m.Header.From}
	}
	if b, err := protocol.DecodeBody(m.Header.MsgType, m.Body); err == nil {
		switch x := b.(type) {
		case *protocol.Lead:
			d.Lead = x
		case *protocol.Request:
			d.Request = x
			d.Facts, d.Measures = requestParts(x)
		case *protocol.Reply:
			d.Reply = x
		case *protocol.Status:
			d.Status = x
		case *protocol.ContactCard:
			d.Contact = x
		}
	}
	if cs := m.Header.Case; cs != "" {
		if t, err := s.n.Case(r.Context(), cs); err == nil {
			for _, it := range t.Items {
				if answersMessage(it, m.ID) {
					d.Answers = append(d.Answers, it)
				}
			}
		}
	}
	s.render(w, r, c, http.StatusOK, "message", "message.title", "inbox", d)
}

// answersMessage says whether a thread's message is a reply or a status
// report about message id, from the summary the node gives it.
func answersMessage(it *agency.ThreadMessage, id string) bool {
	switch it.Type {
	case protocol.TypeReply:
		return it.Summary == "reply to "+id
	case protocol.TypeStatus:
		return strings.HasPrefix(it.Summary, id+": ")
	}
	return false
}
