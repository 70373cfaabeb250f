package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/casenode/casenode/node/agency"
)

// AlarmList is the response of GET /v1/alarms.
type AlarmList struct {
	Alarms []agency.Alarm `json:"alarms"`
}

func (h *handler) alarms(w http.ResponseWriter, r *http.Request) {
	l, err := h.n.Alarms(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	if l == nil {
		l = []agency.Alarm{}
	}
	writeJSON(w, http.StatusOK, &AlarmList{Alarms: l})
}

func (h *handler) ackAlarm(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		h.fail(w, badRequest("'casenode alarms' lists the alarms with their numbers", "alarm id %q is not a positive number", r.PathValue("id")))
		return
	}
	al, err := h.n.AckAlarm(r.Context(), a, id)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, al)
}

// Alarms lists the node's alarms since it opened, acknowledged ones
// included.
func (c *Client) Alarms(ctx context.Context) ([]agency.Alarm, error) {
	var l AlarmList
	return l.Alarms, c.do(ctx, http.MethodGet, "/v1/alarms", nil, &l)
}

// AckAlarm acknowledges alarm id; the node records it in the audit log
// under the client's actor.
func (c *Client) AckAlarm(ctx context.Context, id int64) (*agency.Alarm, error) {
	var al agency.Alarm
	return &al, c.do(ctx, http.MethodPost, "/v1/alarms/"+strconv.FormatInt(id, 10)+"/ack", nil, &al)
}
