package hub

import (
	"encoding/base64"
	"net"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// authenticator is the embedded server's authentication
// (server.Options.CustomClientAuthentication): every connection proves it
// holds the private key of a public NKey the hub granted access to (a
// signature of the nonce the server sent it), and is placed in that
// grant's account with that grant's permissions.
//
// The grants change with the roster without reconfiguring the server:
// Server.ReloadOptions rebuilds the accounts' service imports while members'
// traffic crosses them, which nats-server does without the locks its
// readers take (nats-io/nats-server#8499). A member's account is added
// once, through the server's Go API, and never changes (accounts.go); a
// change of standing moves the agency to another account, and its
// connections are closed (disconnectChanged) so that they authenticate
// again.
type authenticator struct {
	mu     sync.RWMutex
	grants map[string]grant // by public NKey
}

// grant is what one public NKey may do: the account it is placed in, the
// permissions it has there, and whether it may connect only in-process
// (the hub's own users) or only over the network (everyone else).
type grant struct {
	account   *server.Account
	perms     func() *server.Permissions
	inProcess bool
}

// same says whether g and o place a connection alike.
func (g grant) same(o grant) bool {
	return g.account == o.account && g.inProcess == o.inProcess
}

// set makes grants the grants in force and returns those it replaces.
// Once set returns, every connection authenticated under the old grants
// is registered with the server (Check holds the read lock until it is),
// so that the caller finds it when it closes the connections whose grant
// changed.
func (a *authenticator) set(grants map[string]grant) map[string]grant {
	a.mu.Lock()
	defer a.mu.Unlock()
	prev := a.grants
	a.grants = grants
	return prev
}

// Check authenticates a client connection: it implements
// server.Authentication.
func (a *authenticator) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return false
	}
	opts := c.GetOpts()
	if opts == nil || opts.Nkey == "" {
		return false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	g, ok := a.grants[opts.Nkey]
	if !ok || !signedNonce(opts.Nkey, opts.Sig, c.GetNonce()) || inProcess(c.RemoteAddress()) != g.inProcess {
		return false
	}
	return c.(interface {
		RegisterNkeyUser(*server.NkeyUser) error
	}).RegisterNkeyUser(&server.NkeyUser{Nkey: opts.Nkey, Account: g.account, Permissions: g.perms()}) == nil
}

// signedNonce says whether sig, as a client sends it (base64, URL or
// standard alphabet, unpadded or padded), is public's signature of nonce.
func signedNonce(public, sig string, nonce []byte) bool {
	if len(nonce) == 0 || sig == "" {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		if raw, err = base64.StdEncoding.DecodeString(sig); err != nil {
			return false
		}
	}
	// Only user keys: an account, operator or server key is nobody's
	// login here.
	if !nkeys.IsValidPublicUserKey(public) {
		return false
	}
	pk, err := nkeys.FromPublicKey(public)
	if err != nil {
		return false
	}
	return pk.Verify(nonce, raw) == nil
}

// inProcess says whether addr is the far end of an in-process connection
// (server.InProcessConn: a net.Pipe).
func inProcess(addr net.Addr) bool {
	return addr != nil && addr.Network() == "pipe"
}
