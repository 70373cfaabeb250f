package hub

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// writeDeadline bounds how long the server may take to write to a client
// before it counts as a slow consumer. An 8 MiB message takes over a minute
// on a 1 Mbit/s link, so the server's 10s default would cut such agencies off.
const writeDeadline = 3 * time.Minute

// internalUsers are the public NKeys of the hub's own in-process users,
// made afresh at each start: the service connection (streams, consumers,
// roster bucket), the ingest's storing connection and its answering
// connection. Each has only the permissions its work needs (grants).
type internalUsers struct {
	service, ingest, answer string
}

// serverOptions builds the embedded server's options from the hub's
// configuration, the listen address, the TLS configuration (nil: plain
// TCP) and the hub's authentication, which holds who may connect
// (authenticator): the configuration holds only the hub account and the
// admin's; the members' accounts are added as the roster admits them
// (grants).
func serverOptions(cfg *config.Hub, listen string, tlsConf *tls.Config, auth *authenticator) (*server.Options, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: bad port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	payload := max(cfg.MaxPayload, protocol.MaxSignedRosterSize) + config.HeaderAllowance
	o, _, err := accountOptions(cfg.Network, []accountSpec{adminSpec(cfg.Network)}, clusterConfig(cfg))
	if err != nil {
		return nil, err
	}
	if !cfg.Cluster.Enabled() {
		// A clustered server has its name and JetStream store from
		// clusterConfig.
		o.ServerName = "casenode-hub-" + cfg.Network
		o.JetStream, o.StoreDir = true, cfg.StoreDir
		// The hub opens its client listener itself (Hub.open), once
		// JetStream, the consumers and the ingest are set up: a node
		// that connected earlier would have its publications refused,
		// and the ones it sent again later would overtake them. A
		// clustered server cannot wait: the server starts its routes
		// only once its client listener is open, and JetStream needs
		// the routes. Its nodes' publications go meanwhile to the
		// ingest of another server.
		o.DontListen = true
	}
	o.Host, o.Port, o.NoSigs = host, port, true
	o.MaxPayload = int32(payload)
	o.WriteDeadline = writeDeadline
	if !cfg.Cluster.Enabled() {
		// With sync "always" the hub's ingest syncs the messages stream
		// in groups before it answers (see ingest); the server's own
		// SyncAlways would fsync every message serially on the stream's
		// one goroutine. The server's interval sync (2 minutes by
		// default) still covers consumer state and the roster bucket,
		// which are rebuilt or redelivered after a power loss. A
		// clustered server has its sync from clusterConfig.
		o.SyncInterval = cfg.SyncInterval()
	}
	if tlsConf != nil {
		o.TLS, o.TLSConfig, o.TLSVerify, o.TLSTimeout = true, tlsConf, cfg.TLS.VerifyClients, tlsTimeoutSecs
	}
	// Every connection signs the server's nonce with its NKey, and the
	// authenticator checks it against the grants in force.
	o.CustomClientAuthentication, o.AlwaysEnableNonce = auth, true
	return o, nil
}
