package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// CaseList is the response of GET /v1/cases.
type CaseList struct {
	Cases []*agency.CaseSummary `json:"cases"`
}

// ContactList is the response of GET /v1/contacts.
type ContactList struct {
	Contacts []*agency.Contact `json:"contacts"`
}

func (h *handler) cases(w http.ResponseWriter, r *http.Request) {
	cs, err := h.n.Cases(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, CaseList{Cases: orEmpty(cs)})
}

func (h *handler) caseThread(w http.ResponseWriter, r *http.Request) {
	t, err := h.n.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (h *handler) publishContact(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		h.fail(w, badRequest("", "request body: %v", err))
		return
	}
	res, err := h.n.PublishContact(r.Context(), a, body)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

func (h *handler) contacts(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	cs, err := h.n.Contacts(r.Context(), agency.ContactQuery{Country: q.str("country"), Role: protocol.ContactRole(q.str("role"))})
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ContactList{Contacts: orEmpty(cs)})
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	s, err := h.n.Status(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// SnapshotBytesTrailer is the trailer of GET /v1/audit/snapshot that gives
// the snapshot's size once it is written: a client that read fewer bytes
// got a truncated copy.
const SnapshotBytesTrailer = "Casenode-Snapshot-Bytes"

func (h *handler) snapshot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.db"`)
	w.Header().Set("Trailer", SnapshotBytesTrailer)
	w.WriteHeader(http.StatusOK)
	n, err := h.n.AuditSnapshot(w)
	if err != nil {
		// The status is sent: the missing trailer tells the client.
		return
	}
	w.Header().Set(SnapshotBytesTrailer, strconv.FormatInt(n, 10))
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
