package hub

import (
	"fmt"

	"github.com/nats-io/nats-server/v2/server"
)

// Engine returns the embedded NATS server's own figures through its Go
// API, without its monitoring port: Varz (connections, messages and bytes
// in and out, slow consumers, memory) and Jsz (JetStream's streams,
// consumers, messages and storage).
func (h *Hub) Engine() (*server.Varz, *server.JSInfo, error) {
	v, err := h.srv.Varz(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read the NATS server's figures: %w", err)
	}
	j, err := h.srv.Jsz(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read JetStream's figures: %w", err)
	}
	return v, j, nil
}

// Ready reports whether the hub serves its members: its client listener
// is open, JetStream is enabled and a roster is in force.
func (h *Hub) Ready() (listening, jetStream bool, serial uint64) {
	h.mu.Lock()
	if h.roster != nil {
		serial = h.roster.Roster.Serial
	}
	h.mu.Unlock()
	return h.srv.Addr() != nil, h.srv.JetStreamEnabled(), serial
}
