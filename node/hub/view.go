package hub

import "github.com/casenode/casenode/config"

// Config returns the hub's configuration (hub.json, as loaded).
func (h *Hub) Config() *config.Hub { return h.cfg }

// Dir returns the hub directory.
func (h *Hub) Dir() string { return h.dir }
