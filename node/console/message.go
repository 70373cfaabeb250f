package console

import (
	"net/http"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/store"
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
	d := &messageData{M: m, Incoming: m.Direction == store.DirectionIn}
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
		case *protocol.Reply:
			d.Reply = x
		case *protocol.Status:
			d.Status = x
		case *protocol.ContactCard:
			d.Contact = x
		}
	}
	s.render(w, r, c, http.StatusOK, "message", "message.title", "inbox", d)
}
