package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// ActorHeader is the name the caller gives itself. It is not trusted: the
// node records who acts as its listener authenticated them (the Unix
// socket's peer user, the TCP token's holder) and keeps this name only as
// a label beside it, in access records.
const ActorHeader = "Casenode-Actor"

// maxRequest bounds a request body: a message body at its limit, in a JSON
// request.
const maxRequest = protocol.MaxBodySize + 64<<10

// handler serves the API routes of one node.
type handler struct {
	n *agency.Node
}

// Handler returns the API of n. It authenticates nobody itself: the
// request's context carries the actor its listener authenticated
// (WithActor). Serve puts it on the Unix socket with the peer's
// operating-system user, and on TCP behind the bearer tokens with their
// holders.
func Handler(n *agency.Node) http.Handler {
	h := &handler{n: n}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", h.send)
	mux.HandleFunc("POST /v1/messages/{id}/open", h.open)
	mux.HandleFunc("GET /v1/messages/{id}/attachments", h.attachments)
	mux.HandleFunc("GET /v1/messages/{id}/attachments/{name}", h.attachment)
	mux.HandleFunc("GET /v1/inbox", h.inbox)
	mux.HandleFunc("GET /v1/outbox", h.outbox)
	mux.HandleFunc("POST /v1/outbox/{id}/cancel", h.cancelOutbox)
	mux.HandleFunc("GET /v1/cases", h.cases)
	mux.HandleFunc("GET /v1/cases/{id}", h.caseThread)
	mux.HandleFunc("POST /v1/contacts", h.publishContact)
	mux.HandleFunc("GET /v1/contacts", h.contacts)
	mux.HandleFunc("GET /v1/status", h.status)
	mux.HandleFunc("GET /v1/alarms", h.alarms)
	mux.HandleFunc("POST /v1/alarms/{id}/ack", h.ackAlarm)
	mux.HandleFunc("GET /v1/audit/snapshot", h.snapshot)
	mux.HandleFunc("GET /v1/backup", h.backup)
	h.accountRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, &hint.Error{Msg: fmt.Sprintf("no route %s %s", r.Method, r.URL.Path), Fix: "docs/openapi.yaml lists the routes"})
	})
	return mux
}

// decode reads a JSON request body into v.
func decode(r *http.Request, w http.ResponseWriter, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("docs/openapi.yaml describes the request", "request body: %v", err)
	}
	return nil
}

func (h *handler) fail(w http.ResponseWriter, err error) {
	var s Status
	if errors.As(err, &s) {
		writeError(w, int(s), err)
		return
	}
	writeError(w, StatusOf(err), err)
}

func (h *handler) send(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var req agency.SendRequest
	if err := decode(r, w, &req); err != nil {
		h.fail(w, err)
		return
	}
	res, err := h.n.Send(r.Context(), a, req)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (h *handler) open(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	m, err := h.n.Show(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// query reads the common list parameters.
type query struct {
	r   *http.Request
	err error
}

func (q *query) str(name string) string { return q.r.URL.Query().Get(name) }

func (q *query) boolean(name string) bool {
	s := q.str(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil && q.err == nil {
		q.err = badRequest("use true or false", "query parameter %s=%q is not a boolean", name, s)
	}
	return b
}

func (q *query) uint(name string) uint64 {
	s := q.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil && q.err == nil {
		q.err = badRequest("use a whole number", "query parameter %s=%q is not a whole number", name, s)
	}
	return n
}

// Lists are wrapped in an object, so that fields can be added later.

// MessageList is the response of GET /v1/inbox.
type MessageList struct {
	Messages []*agency.MessageSummary `json:"messages"`
}

func (h *handler) cancelOutbox(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	it, err := h.n.CancelOutbox(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, it)
}

// OutboxList is the response of GET /v1/outbox.
type OutboxList struct {
	Messages []*agency.OutboxItem `json:"messages"`
}

func (h *handler) inbox(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	iq := agency.InboxQuery{Type: protocol.MessageType(q.str("type")), Case: q.str("case"), From: q.str("from"),
		Unread: q.boolean("unread"), After: q.uint("after"), Limit: int(q.uint("limit"))}
	if q.err != nil {
		h.fail(w, q.err)
		return
	}
	ms, err := h.n.Inbox(r.Context(), iq)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, MessageList{Messages: orEmpty(ms)})
}

func (h *handler) outbox(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	oq := agency.OutboxQuery{Pending: q.boolean("pending"), Type: protocol.MessageType(q.str("type")), Case: q.str("case"),
		To: q.str("to"), After: q.uint("after"), Limit: int(q.uint("limit"))}
	if q.err != nil {
		h.fail(w, q.err)
		return
	}
	ms, err := h.n.Outbox(r.Context(), oq)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, OutboxList{Messages: orEmpty(ms)})
}
