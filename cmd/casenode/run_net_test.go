package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/protocol"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestNodeScripts runs the scripts in testdata/node: the commands that talk
// to a running node, against a real hub and real nodes that the casenet
// command starts in the test process.
func TestNodeScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "node"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("CASENODE_PASSPHRASE", "")
			env.Setenv("USER", "aminata")
			net := &scriptNet{nodes: map[string]*scriptNode{}}
			env.Values[scriptNetKey{}] = net
			env.Defer(net.stop)
			return nil
		},
		Cmds: nodeScriptCommands(),
	})
}

// nodeScriptCommands are the shared script commands plus casenet.
func nodeScriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := scriptCommands()
	cmds["casenet"] = cmdCasenet
	return cmds
}

type scriptNetKey struct{}

// scriptNet is the network of one script: a hub in $WORK/hub and the nodes
// the script started, each serving its API on its socket.
type scriptNet struct {
	mu     sync.Mutex
	hubDir string
	hub    *hub.Hub
	nodes  map[string]*scriptNode
}

type scriptNode struct {
	n      *agency.Node
	cancel context.CancelFunc
	done   sync.WaitGroup
}

func (sn *scriptNet) stop() {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	for dir, nd := range sn.nodes {
		nd.stop()
		delete(sn.nodes, dir)
	}
	if sn.hub != nil {
		sn.hub.Close()
		sn.hub = nil
	}
}

func (nd *scriptNode) stop() {
	nd.cancel()
	nd.done.Wait()
	nd.n.Close()
}

// cmdCasenet runs a network for the script:
//
//	casenet hub [LIMIT=N...]         init and start a hub in $WORK/hub; sets $HUB and $SECRETARIAT; LIMIT is
//	                                 stored_messages, attachment_bytes or max_attachment_size (hub.json)
//	casenet hub-stop                 stop the hub
//	casenet hub-start                start it again on the same address
//	casenet admit DIR                admit the agency of DIR/member.json; its creds go to $WORK/AGENCY.creds
//	casenet start DIR                run the node of DIR in the background and wait until it is online
//	casenet start-stuck DIR          run it, and wait until it has a hub error or an alarm to show
//	casenet reload                   have the hub take the roster the CLI wrote (member rotate, revoke)
//	casenet stop DIR                 stop it
//	casenet wait DIR WHAT N          wait until the node's status shows N (or more) of WHAT:
//	                                 inbox, unread, rejected, over-limit, serial (of the roster), alarms,
//	                                 cosigned (1 once the newest checkpoint is cosigned by the hub's witness),
//	                                 offline (1 once the node has lost the hub),
//	                                 or a copy state (queued, relayed, delivered, read, cancelled)
//	casenet env NAME FILE            set $NAME to the first line of FILE
//	casenet revoke AGENCY            revoke AGENCY as the secretariat and apply it to the hub
//	casenet standing DIR STATUS      wait until the node's roster gives its agency STATUS
func cmdCasenet(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("casenet does not fail on purpose")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: casenet hub|admit|start|stop|wait|env …")
	}
	sn := ts.Value(scriptNetKey{}).(*scriptNet)
	sn.mu.Lock()
	defer sn.mu.Unlock()
	switch args[0] {
	case "hub":
		sn.startHub(ts, args[1:])
	case "hub-stop":
		if sn.hub == nil {
			ts.Fatalf("usage: casenet hub-stop (a hub started)")
		}
		sn.hub.Close()
		sn.hub = nil
	case "hub-start":
		if sn.hub != nil || sn.hubDir == "" {
			ts.Fatalf("usage: casenet hub-start (after casenet hub-stop)")
		}
		u, err := url.Parse(ts.Getenv("HUB"))
		ts.Check(err)
		sn.hub, err = hub.Open(context.Background(), sn.hubDir, hub.Options{Listen: u.Host, PollInterval: time.Hour})
		ts.Check(err)
	case "admit":
		sn.admit(ts, args[1:])
	case "start":
		sn.start(ts, args[1:], true)
	case "start-stuck":
		sn.start(ts, args[1:], false)
	case "reload":
		ts.Check(sn.hub.Reload(context.Background()))
	case "stop":
		if len(args) != 2 || sn.nodes[args[1]] == nil {
			ts.Fatalf("usage: casenet stop DIR (a started node)")
		}
		sn.nodes[args[1]].stop()
		delete(sn.nodes, args[1])
	case "wait":
		sn.wait(ts, args[1:])
	case "revoke":
		if len(args) != 2 || sn.hub == nil {
			ts.Fatalf("usage: casenet revoke AGENCY (after casenet hub)")
		}
		sec, err := hub.OpenSecretariat(sn.hubDir, nil)
		ts.Check(err)
		_, err = sec.Revoke(args[1], time.Now())
		sec.Close()
		ts.Check(err)
		ts.Check(sn.hub.Reload(context.Background()))
	case "standing":
		if len(args) != 3 || sn.nodes[args[1]] == nil {
			ts.Fatalf("usage: casenet standing DIR STATUS (a started node)")
		}
		n := sn.nodes[args[1]].n
		poll.Until(ts, 20*time.Second, args[1]+" to be "+args[2], func() bool {
			s, err := n.Status(context.Background())
			return err == nil && s.Roster != nil && s.Roster.Standing == args[2]
		})
	case "env":
		if len(args) != 3 {
			ts.Fatalf("usage: casenet env NAME FILE")
		}
		line, _, _ := strings.Cut(ts.ReadFile(args[2]), "\n")
		ts.Setenv(args[1], strings.TrimSpace(line))
	default:
		ts.Fatalf("unknown casenet command %q", args[0])
	}
}

// startHub starts a hub; args may set member limits of hub.json, as
// stored_messages=N.
func (sn *scriptNet) startHub(ts *testscript.TestScript, args []string) {
	sn.hubDir = ts.MkAbs("hub")
	_, err := hub.Init(sn.hubDir, hub.InitOptions{Network: "wacap", Country: "SN", Kind: protocol.KindClassic, Listen: "127.0.0.1:0", Now: time.Now()})
	ts.Check(err)
	if len(args) > 0 {
		path := filepath.Join(sn.hubDir, config.HubFile)
		cfg, err := config.ParseHub([]byte(ts.ReadFile(path)))
		ts.Check(err)
		for _, a := range args {
			k, v, _ := strings.Cut(a, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				ts.Fatalf("usage: casenet hub [LIMIT=N...]")
			}
			switch k {
			case "stored_messages":
				cfg.MemberLimits.StoredMessages = n
			case "attachment_bytes":
				cfg.MemberLimits.AttachmentBytes = n
			case "max_attachment_size":
				cfg.MaxAttachmentSize = n
			default:
				ts.Fatalf("usage: casenet hub [LIMIT=N...]: unknown limit %s", k)
			}
		}
		data, err := cfg.Marshal()
		ts.Check(err)
		ts.Check(os.WriteFile(path, data, 0o644))
	}
	sn.hub, err = hub.Open(context.Background(), sn.hubDir, hub.Options{PollInterval: time.Hour})
	ts.Check(err)
	ts.Setenv("HUB", sn.hub.ClientURL())
	ts.Setenv("SECRETARIAT", filepath.Join(sn.hubDir, hub.SecretariatDir, identity.CardFile))
}

func (sn *scriptNet) admit(ts *testscript.TestScript, args []string) {
	if len(args) != 1 || sn.hub == nil {
		ts.Fatalf("usage: casenet admit DIR (after casenet hub)")
	}
	card, err := identity.LoadCard(ts.MkAbs(filepath.Join(args[0], identity.CardFile)))
	ts.Check(err)
	sec, err := hub.OpenSecretariat(sn.hubDir, nil)
	ts.Check(err)
	_, err = sec.Add(card, ts.MkAbs(card.Agency+".creds"), time.Now())
	sec.Close()
	ts.Check(err)
	ts.Check(sn.hub.Reload(context.Background()))
}

func (sn *scriptNet) start(ts *testscript.TestScript, args []string, online bool) {
	if len(args) != 1 || sn.nodes[args[0]] != nil {
		ts.Fatalf("usage: casenet start DIR (a node not started yet)")
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("CASENODE_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil)).With("node", args[0])
	}
	n, err := agency.Open(context.Background(), ts.MkAbs(args[0]), agency.Options{Logger: log,
		ReconnectWait: 20 * time.Millisecond, MaxReconnectWait: 200 * time.Millisecond, RosterInterval: time.Second,
		WitnessInterval: 50 * time.Millisecond})
	ts.Check(err)
	srv := api.NewServer(n, log)
	if err := srv.Listen(); err != nil {
		n.Close()
		ts.Fatalf("%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	nd := &scriptNode{n: n, cancel: cancel}
	nd.done.Go(func() { srv.Serve(ctx) })
	nd.done.Go(func() { n.Run(ctx) })
	sn.nodes[args[0]] = nd
	if !online {
		poll.Until(ts, 20*time.Second, args[0]+" to have a hub error or an alarm", func() bool {
			s, err := n.Status(context.Background())
			al, _ := n.Alarms(context.Background())
			return err == nil && (s.Hub.LastError != "" || len(al) > 0)
		})
		return
	}
	poll.Until(ts, 20*time.Second, args[0]+" online with a roster that lists it", func() bool {
		s, err := n.Status(context.Background())
		return err == nil && s.Hub.State == "online" && s.Roster != nil && s.Roster.Standing == "active"
	})
}

func (sn *scriptNet) wait(ts *testscript.TestScript, args []string) {
	if len(args) != 3 || sn.nodes[args[0]] == nil {
		ts.Fatalf("usage: casenet wait DIR WHAT N (a started node)")
	}
	n := sn.nodes[args[0]].n
	want, err := strconv.ParseInt(args[2], 10, 64)
	ts.Check(err)
	poll.Until(ts, 20*time.Second, fmt.Sprintf("%s to have %d %s", args[0], want, args[1]), func() bool {
		s, err := n.Status(context.Background())
		if err != nil {
			return false
		}
		var got int64
		switch args[1] {
		case "inbox":
			got = s.Inbox.Messages
		case "unread":
			got = s.Inbox.Unread
		case "rejected":
			got = s.Rejected
		case "cosigned":
			// 1 once the node's newest checkpoint is cosigned.
			if s.Audit.Checkpoint != nil && n.Witness().Cosigned == s.Audit.Checkpoint.Size {
				got = 1
			}
		case "over-limit":
			if s.Hub.OverLimit != "" {
				got = 1
			}
		case "offline":
			if s.Hub.State != "online" {
				got = 1
			}
		case "serial":
			if s.Roster != nil {
				got = int64(s.Roster.Serial)
			}
		case "alarms":
			al, _ := n.Alarms(context.Background())
			got = int64(len(al))
		default:
			got = s.Outbox.Copies[agency.CopyState(args[1])]
		}
		return got >= want
	})
}
