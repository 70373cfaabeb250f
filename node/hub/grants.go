package hub

import (
	"fmt"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// grants are the NKeys that may connect under roster r and users: the
// hub's own in-process users (internal) in the hub account, the admin in
// its account, and, when members is true, each member that has a NATS
// user: an active one in its member account with the node's permissions,
// any other in its reader account, which lets it read the roster only.
// The accounts the grants name are added to the server as needed
// (addAccount), members or not: a clustered server must know the members'
// accounts before its routes come up, as the other servers tell it of
// their clients' interest in those accounts then, and a server that does
// not know an account drops that interest for good.
func (h *Hub) grants(r *protocol.Roster, users *userKeys, internal internalUsers, members bool) (map[string]grant, error) {
	hubAcc, err := h.srv.LookupAccount(hubAccount)
	if err != nil {
		return nil, fmt.Errorf("configure NATS accounts: %s: %w", hubAccount, err)
	}
	adminAcc, err := h.srv.LookupAccount(adminAccount)
	if err != nil {
		return nil, fmt.Errorf("configure NATS accounts: %s: %w", adminAccount, err)
	}
	network := h.cfg.Network
	g := map[string]grant{
		internal.service: {account: hubAcc, perms: func() *server.Permissions { return servicePermissions(network) }, inProcess: true},
		internal.ingest:  {account: hubAcc, perms: func() *server.Permissions { return ingestPermissions(network) }, inProcess: true},
		internal.answer:  {account: hubAcc, perms: answerPermissions, inProcess: true},
		users.Admin:      {account: adminAcc, perms: func() *server.Permissions { return adminPermissions(network) }},
	}
	for _, m := range r.Members {
		key, ok := users.Agencies[m.Card.Agency]
		if !ok {
			continue
		}
		agency := m.Card.Agency
		active := func() *server.Permissions { return agencyPermissions(network, agency) }
		reader := func() *server.Permissions { return rosterReaderPermissions(network, agency) }
		// Both accounts exist from the start, so that a change of
		// standing adds nothing to a running server.
		spec := memberSpec(network, memberAccount(agency), active())
		if h.cfg.Cluster.Enabled() {
			shareIngest(network, &spec)
		}
		activeAcc, err := h.addAccount(hubAcc, spec)
		if err != nil {
			return nil, err
		}
		readerAcc, err := h.addAccount(hubAcc, memberSpec(network, readerAccount(agency), reader()))
		if err != nil {
			return nil, err
		}
		if !members {
			continue
		}
		if _, dup := g[key]; dup {
			return nil, fmt.Errorf("configure NATS users: the NATS key of %s is also another user's", agency)
		}
		if m.Status == protocol.StatusActive {
			g[key] = grant{account: activeAcc, perms: active}
		} else {
			g[key] = grant{account: readerAcc, perms: reader}
		}
	}
	return g, nil
}

// addAccount adds the account of spec to the server, once: it imports
// spec's services and, if spec says so, the roster subject from the hub
// account, which exports each of them to this account alone. An account
// never changes once added: what it imports follows from its name (the
// agency, and whether it is active). The caller holds h.mu, or is open.
func (h *Hub) addAccount(hubAcc *server.Account, spec accountSpec) (*server.Account, error) {
	if acc := h.accounts[spec.name]; acc != nil {
		return acc, nil
	}
	acc, err := h.srv.RegisterAccount(spec.name)
	if err != nil {
		// Registered by an earlier call that failed half-way.
		return nil, fmt.Errorf("configure NATS account %s: %w (restart the hub)", spec.name, err)
	}
	for _, s := range spec.services {
		resp := server.Singleton
		if s.stream {
			resp = server.Streamed
		}
		if err := hubAcc.AddServiceExportWithResponse(s.subject, resp, []*server.Account{acc}); err != nil {
			return nil, fmt.Errorf("configure NATS account %s: export %s: %w", spec.name, s.subject, err)
		}
		if err := acc.AddServiceImport(hubAcc, s.subject, s.subject); err != nil {
			return nil, fmt.Errorf("configure NATS account %s: import %s: %w", spec.name, s.subject, err)
		}
		if s.share {
			if err := acc.SetServiceImportSharing(hubAcc, s.subject, true); err != nil {
				return nil, fmt.Errorf("configure NATS account %s: share %s: %w", spec.name, s.subject, err)
			}
		}
	}
	streams := spec.streams
	if spec.roster {
		streams = append([]string{rosterSubject(h.cfg.Network)}, streams...)
	}
	for _, subject := range streams {
		if err := hubAcc.AddStreamExport(subject, []*server.Account{acc}); err != nil {
			return nil, fmt.Errorf("configure NATS account %s: export %s: %w", spec.name, subject, err)
		}
		if err := acc.AddStreamImport(hubAcc, subject, ""); err != nil {
			return nil, fmt.Errorf("configure NATS account %s: import %s: %w", spec.name, subject, err)
		}
	}
	if h.accounts == nil {
		h.accounts = map[string]*server.Account{}
	}
	h.accounts[spec.name] = acc
	return acc, nil
}

// disconnectChanged closes the connections authenticated under a grant of
// prev that next withdraws or changes: a key no longer known (a rotated or
// removed user), an agency whose standing changed. Their nodes connect
// again under next: a connection keeps the subscriptions and pull
// requests it made, so its grant cannot change under it.
func disconnectChanged(srv *server.Server, prev, next map[string]grant) {
	for key, old := range prev {
		if g, ok := next[key]; ok && g.same(old) {
			continue
		}
		cz, err := srv.Connz(&server.ConnzOptions{User: key, Username: true, Limit: 1 << 16})
		if err != nil {
			continue
		}
		for _, c := range cz.Conns {
			srv.DisconnectClientByID(c.Cid)
		}
	}
}
