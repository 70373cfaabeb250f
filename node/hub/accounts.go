package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
)

// The hub's two NATS accounts. The hub account holds JetStream (the
// messages stream, the roster bucket, the consumers) and the hub's own
// users; the members' account holds the agencies, which reach the hub
// account only through the imports of accountsConfig. A request that
// crosses into the hub account has its reply subject replaced by the
// server (a "_R_." subject of the hub account), and the answer goes back
// into the members' account: whatever reply subject a member names, no
// answer to it is published on a subject of the hub account, where the
// streams capture.
const (
	hubAccount     = "HUB"
	membersAccount = "MEMBERS"
)

// responsePrefix starts every reply subject of a request that crossed from
// the members' account into the hub account.
const responsePrefix = "_R_."

// memberServices are the subjects of the hub account that members may
// request, with whether the answer is a stream of messages (a pull
// request) rather than one. Each agency's own permissions narrow them to
// its own consumer and its own ingest subjects.
func memberServices(network string) []struct {
	subject string
	stream  bool
} {
	stream, kv := protocol.StreamName(network), "KV_"+protocol.RosterBucket(network)
	return []struct {
		subject string
		stream  bool
	}{
		{protocol.IngestFilter(network), false},
		// No agency may request the account information; the import only
		// keeps the server from giving the members' account a JetStream
		// API of its own (answering "not enabled"), which would shadow
		// the imports below.
		{"$JS.API.INFO", false},
		{"$JS.API.CONSUMER.INFO." + stream + ".*", false},
		{"$JS.API.CONSUMER.MSG.NEXT." + stream + ".*", true},
		{"$JS.ACK." + stream + ".>", false},
		{"$JS.API.STREAM.INFO." + kv, false},
		{"$JS.API.DIRECT.GET." + kv, false},
		{"$JS.API.DIRECT.GET." + kv + ".>", false},
		{"$JS.API.STREAM.MSG.GET." + kv, false},
	}
}

// accountsConfig is the server configuration text of the two accounts:
// JetStream is enabled in the hub account, which exports to the members'
// account the services of memberServices and the roster subject. The
// server takes an account's JetStream setting only from configuration
// text, not from programmatically built accounts.
func accountsConfig(network string) string {
	var exports, imports []string
	for _, s := range memberServices(network) {
		e := fmt.Sprintf("{service: %s, accounts: [%s]", strconv.Quote(s.subject), membersAccount)
		if s.stream {
			e += ", response_type: stream"
		}
		exports = append(exports, e+"}")
		imports = append(imports, fmt.Sprintf("{service: {account: %s, subject: %s}}", hubAccount, strconv.Quote(s.subject)))
	}
	roster := strconv.Quote(rosterSubject(network))
	exports = append(exports, fmt.Sprintf("{stream: %s, accounts: [%s]}", roster, membersAccount))
	imports = append(imports, fmt.Sprintf("{stream: {account: %s, subject: %s}}", hubAccount, roster))
	return fmt.Sprintf("accounts {\n  %s {\n    jetstream: enabled\n    exports: [\n      %s\n    ]\n  }\n  %s {\n    imports: [\n      %s\n    ]\n  }\n}\n",
		hubAccount, strings.Join(exports, "\n      "), membersAccount, strings.Join(imports, "\n      "))
}

// accountOptions are server options holding only the two accounts, and the
// accounts by name.
func accountOptions(network string) (*server.Options, map[string]*server.Account, error) {
	o := &server.Options{}
	if err := o.ProcessConfigString(accountsConfig(network)); err != nil {
		return nil, nil, fmt.Errorf("configure NATS accounts: %w", err)
	}
	accs := make(map[string]*server.Account, len(o.Accounts))
	for _, a := range o.Accounts {
		accs[a.Name] = a
	}
	if accs[hubAccount] == nil || accs[membersAccount] == nil {
		return nil, nil, fmt.Errorf("configure NATS accounts: %s or %s missing", hubAccount, membersAccount)
	}
	return o, accs, nil
}

// globalAccount is the server's account for users of no account, in which
// hubs kept their streams before the members had an account of their own.
const globalAccount = "$G"

// moveGlobalStore moves the JetStream files that a hub of an earlier
// version kept in the global account into the hub account, so that the
// streams, the roster bucket and the consumers are found again.
func moveGlobalStore(storeDir string) error {
	old, cur := filepath.Join(storeDir, "jetstream", globalAccount), filepath.Join(storeDir, "jetstream", hubAccount)
	if _, err := os.Stat(old); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if _, err := os.Stat(cur); err == nil {
		return fmt.Errorf("both %s and %s hold JetStream files: keep the one in use and move the other away", old, cur)
	}
	if err := os.Rename(old, cur); err != nil {
		return fmt.Errorf("move JetStream files to the hub account: %w", err)
	}
	return nil
}
