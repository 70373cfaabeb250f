package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// The hub's NATS accounts. The hub account holds JetStream (the messages
// stream, the roster bucket, the consumers) and the hub's own users; every
// member agency has an account of its own (memberAccount), and so has the
// admin user. Those accounts reach the hub account only through the
// imports of accountsConfig. A request that crosses into the hub account
// has its reply subject replaced by the server (a "_R_." subject of the hub
// account), and the answer goes back into the requester's own account:
// whatever reply subject a member names, the answer is published neither on
// a subject of the hub account, where the streams capture, nor in another
// member's account, where that member's inbox and roster subscriptions
// are.
const (
	hubAccount   = "HUB"
	adminAccount = "ADMIN"
	// memberAccountPrefix starts the name of a member's account; the rest
	// is its agency id. Agency ids are lower case, so no member account is
	// named like the hub's.
	memberAccountPrefix = "M_"
)

// readerAccountPrefix starts the name of the account of an agency that
// is no longer active (revoked or suspended): it imports only what its
// node needs to read the roster (rosterReaderPermissions).
const readerAccountPrefix = "R_"

// memberAccount is the name of agency's NATS account.
func memberAccount(agency string) string { return memberAccountPrefix + agency }

// readerAccount is the name of agency's NATS account while it is not
// active.
func readerAccount(agency string) string { return readerAccountPrefix + agency }

// accountAgency is the agency whose account is account; ok is false when
// account is not a member's.
func accountAgency(account string) (agency string, ok bool) {
	agency, ok = strings.CutPrefix(account, memberAccountPrefix)
	return agency, ok && protocol.ValidateID("agency", agency) == nil
}

// responsePrefix starts every reply subject of a request that crossed from
// a member's account into the hub account.
const responsePrefix = "_R_."

// jsAccountInfo is the JetStream API's account information request. Every
// account imports it from the hub account, though no member may send it:
// the import keeps the server from giving the account a JetStream API of
// its own (answering "not enabled"), which would shadow the other imports.
const jsAccountInfo = "$JS.API.INFO"

// memberServices are the subjects of the hub account that members may
// request, with whether the answer is a stream of messages (a pull request)
// rather than one. It is the one list that drives the accounts: a member's
// account imports, and the hub account exports to that account alone, the
// parts of these subjects the member's own permissions let it publish on
// (agencyPermissions, rosterReaderPermissions): its own ingest subjects,
// its own consumer, the roster bucket. A new member-facing service adds its
// subject here and the member's own part of it to agencyPermissions.
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
		// The attachment service (attach.go).
		{protocol.AttachService(network), false},
		// The chunk stream, where owners publish their chunks
		// (attachcheck.go).
		{protocol.AttachChunkService(network), false},
		{jsAccountInfo, false},
		{protocol.WitnessFilter(network), false},
		{"$JS.API.CONSUMER.INFO." + stream + ".*", false},
		{"$JS.API.CONSUMER.MSG.NEXT." + stream + ".*", true},
		// A node resets its inbox to its ack floor when it binds it, so
		// that what was delivered into a connection that went away comes
		// again before anything later (package agency, consume).
		{"$JS.API.CONSUMER.RESET." + stream + ".*", false},
		{"$JS.ACK." + stream + ".>", false},
		{"$JS.API.STREAM.INFO." + kv, false},
		{"$JS.API.DIRECT.GET." + kv, false},
		{"$JS.API.DIRECT.GET." + kv + ".>", false},
		{"$JS.API.STREAM.MSG.GET." + kv, false},
	}
}

// service is one subject an account imports from the hub account.
type service struct {
	subject string
	stream  bool
	// share has the server tell the hub account more of the requester
	// than its account (the server it is connected to: clusterIngest).
	share bool
}

// accountSpec is one account besides the hub's: its name, the services it
// imports, whether it imports the roster subject, and the other subjects
// it imports as streams (the chunks delivered to it, attach.go), each
// exported to this account alone.
type accountSpec struct {
	name     string
	services []service
	roster   bool
	streams  []string
}

// memberSpec is the account named name of agency, whose user has perms:
// it imports the parts of memberServices that perms let the agency
// publish on, the account information request, and the roster subject.
func memberSpec(network, name string, perms *server.Permissions) accountSpec {
	a := accountSpec{name: name, roster: true}
	for _, p := range perms.Subscribe.Allow {
		if server.SubjectMatchesFilter(p, protocol.AttachDeliverService(network)) {
			a.streams = append(a.streams, p)
		}
	}
	for _, s := range memberServices(network) {
		if s.subject == jsAccountInfo {
			a.services = append(a.services, service{subject: s.subject, stream: s.stream})
			continue
		}
		for _, p := range perms.Publish.Allow {
			if server.SubjectMatchesFilter(p, s.subject) {
				a.services = append(a.services, service{subject: p, stream: s.stream})
			}
		}
	}
	return a
}

// adminSpec is the admin user's account: it imports exactly what the
// admin may publish on (adminPermissions).
func adminSpec(network string) accountSpec {
	a := accountSpec{name: adminAccount}
	for _, p := range adminPermissions(network).Publish.Allow {
		a.services = append(a.services, service{subject: p})
	}
	return a
}

// accountsConfig is the server configuration text of the accounts:
// JetStream is enabled in the hub account, which exports each service of
// specs to the accounts importing it, and nobody else, and the roster
// subject to the member accounts. The server takes an account's JetStream
// setting only from configuration text, not from programmatically built
// accounts.
func accountsConfig(network string, specs []accountSpec) (string, error) {
	type export struct {
		stream   bool
		accounts []string
	}
	exports := map[string]*export{}
	var readers []string
	streams := map[string]string{} // subject → the one account importing it
	var b strings.Builder
	for _, a := range specs {
		fmt.Fprintf(&b, "  %s {\n    imports: [\n", strconv.Quote(a.name))
		for _, s := range a.services {
			e := exports[s.subject]
			if e == nil {
				e = &export{stream: s.stream}
				exports[s.subject] = e
			}
			if e.stream != s.stream {
				return "", fmt.Errorf("configure NATS accounts: %s is both a stream of answers and a single answer", s.subject)
			}
			e.accounts = append(e.accounts, strconv.Quote(a.name))
			share := ""
			if s.share {
				share = ", share: true"
			}
			fmt.Fprintf(&b, "      {service: {account: %s, subject: %s}%s}\n", hubAccount, strconv.Quote(s.subject), share)
		}
		if a.roster {
			readers = append(readers, strconv.Quote(a.name))
			fmt.Fprintf(&b, "      {stream: {account: %s, subject: %s}}\n", hubAccount, strconv.Quote(rosterSubject(network)))
		}
		for _, subject := range a.streams {
			if _, dup := streams[subject]; dup {
				return "", fmt.Errorf("configure NATS accounts: %s imported by two accounts", subject)
			}
			streams[subject] = strconv.Quote(a.name)
			fmt.Fprintf(&b, "      {stream: {account: %s, subject: %s}}\n", hubAccount, strconv.Quote(subject))
		}
		b.WriteString("    ]\n  }\n")
	}
	var h strings.Builder
	fmt.Fprintf(&h, "accounts {\n  %s {\n    jetstream: enabled\n    exports: [\n", hubAccount)
	for _, subject := range slices.Sorted(maps.Keys(exports)) {
		e := exports[subject]
		fmt.Fprintf(&h, "      {service: %s, accounts: [%s]", strconv.Quote(subject), strings.Join(e.accounts, ", "))
		if e.stream {
			h.WriteString(", response_type: stream")
		}
		h.WriteString("}\n")
	}
	// An export to no account would be public: leave it out.
	if len(readers) > 0 {
		fmt.Fprintf(&h, "      {stream: %s, accounts: [%s]}\n", strconv.Quote(rosterSubject(network)), strings.Join(readers, ", "))
	}
	for _, subject := range slices.Sorted(maps.Keys(streams)) {
		fmt.Fprintf(&h, "      {stream: %s, accounts: [%s]}\n", strconv.Quote(subject), streams[subject])
	}
	h.WriteString("    ]\n  }\n")
	return h.String() + b.String() + "}\n", nil
}

// accountOptions are server options holding only the accounts of specs and
// the hub account, and the accounts by name, plus whatever the
// configuration text extra sets (clusterConfig).
func accountOptions(network string, specs []accountSpec, extra string) (*server.Options, map[string]*server.Account, error) {
	text, err := accountsConfig(network, specs)
	if err != nil {
		return nil, nil, err
	}
	o := &server.Options{}
	if err := o.ProcessConfigString(extra + text); err != nil {
		return nil, nil, fmt.Errorf("configure NATS accounts: %w", err)
	}
	accs := make(map[string]*server.Account, len(o.Accounts))
	for _, a := range o.Accounts {
		accs[a.Name] = a
	}
	for _, name := range append([]string{hubAccount}, specNames(specs)...) {
		if accs[name] == nil {
			return nil, nil, fmt.Errorf("configure NATS accounts: %s missing", name)
		}
	}
	return o, accs, nil
}

func specNames(specs []accountSpec) []string {
	names := make([]string, len(specs))
	for i, a := range specs {
		names[i] = a.name
	}
	return names
}

// maxRequestInfo bounds the server's Nats-Request-Info header the hub
// decodes.
const maxRequestInfo = 8 << 10

// requesterAgency is the agency whose account a request to a member-facing
// service of the hub account came from. The server stamps every message
// that crosses into the hub account through an import with the account it
// came from (the Nats-Request-Info header, which it sets itself, replacing
// any of that name the client sent), so that a service knows its requester
// without trusting anything the requester wrote. Every member-facing
// service identifies its requester this way, and checks that the agency its
// subject names is the same.
func requesterAgency(h nats.Header) (string, error) {
	v := h.Values(server.ClientInfoHdr)
	switch {
	case len(v) == 0:
		return "", errors.New("no account information from the server")
	case len(v) > 1:
		return "", errors.New("more than one account information header")
	case len(v[0]) > maxRequestInfo:
		return "", fmt.Errorf("account information of %d bytes", len(v[0]))
	}
	// The server writes more than the account; only the account is read.
	var ci struct {
		Account string `json:"acc"`
	}
	if err := json.Unmarshal([]byte(v[0]), &ci); err != nil {
		return "", fmt.Errorf("account information: %w", err)
	}
	agency, ok := accountAgency(ci.Account)
	if !ok {
		return "", fmt.Errorf("account %.80q is not a member's", ci.Account)
	}
	return agency, nil
}

// globalAccount is the server's account for users of no account, in which
// hubs kept their streams before the members had accounts of their own.
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
