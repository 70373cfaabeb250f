package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/node/lab/localnet"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Attachment sends one attachment of size bytes between two nodes run as
// processes of exe with their hub, from the send until the sender holds
// the recipient's delivered receipt (which the recipient sends once it has
// fetched and checked the file), and reads the peak resident memory of the
// three processes. In the same run it measures the baseline: the same
// bytes encrypted with age as a stream and stored in a JetStream file
// stream in 256 KiB chunks, in-process, and synced to disk (the hub
// acknowledges a chunk once it is). The ratio is end to end over the
// baseline.
func Attachment(ctx context.Context, dir, exe string, kind protocol.RecipientKind, size int64) (Result, error) {
	file := filepath.Join(dir, "attachment.bin")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, err
	}
	if err := randomFile(file, size); err != nil {
		return Result{}, err
	}
	defer os.Remove(file)

	cpu := cpuTime()
	raw, err := rawAttachment(ctx, filepath.Join(dir, "raw"), kind, file)
	rawCPU := cpuTime() - cpu
	if err != nil {
		return Result{}, fmt.Errorf("attachment baseline: %w", err)
	}

	ln, err := localnet.Create(ctx, filepath.Join(dir, "net"), localnet.Options{Network: "bench", Kind: kind, Hub: func(h *config.Hub) {
		liftLimits(h)
		h.MaxAttachmentSize = protocol.MaxAttachmentSize
		h.MemberLimits.AttachmentBytes = protocol.MaxAttachmentSize
	}}, localnet.Agency{ID: "a0", Name: "Agency 0", Country: "SN"}, localnet.Agency{ID: "a1", Name: "Agency 1", Country: "GH"})
	if err != nil {
		return Result{}, err
	}
	u, err := url.Parse(ln.HubURL())
	if err != nil {
		return Result{}, err
	}
	if err := ln.Close(); err != nil {
		return Result{}, err
	}
	for _, a := range []string{"a0", "a1"} {
		cfgPath := filepath.Join(ln.AgencyDir(a), config.NodeFile)
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			return Result{}, err
		}
		cfg, err := config.ParseNode(b)
		if err != nil {
			return Result{}, err
		}
		cfg.AttachmentAutoFetch = protocol.MaxAttachmentSize
		if b, err = cfg.Marshal(); err != nil {
			return Result{}, err
		}
		if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
			return Result{}, err
		}
	}
	hub := exec.CommandContext(ctx, exe, "hub", "run", "--dir", ln.HubDir(), "--listen", u.Host)
	// Each process's log is kept in the work directory (casenode bench
	// --dir keeps it), to see where the time went.
	if hub.Stderr, err = os.Create(filepath.Join(dir, "hub.log")); err != nil {
		return Result{}, err
	}
	defer hub.Stderr.(*os.File).Close()
	if err := hub.Start(); err != nil {
		return Result{}, fmt.Errorf("attachment: start hub: %w", err)
	}
	defer stop(hub)
	if err := waitListening(ctx, u.Host); err != nil {
		return Result{}, fmt.Errorf("attachment: hub: %w", err)
	}
	procs := map[string]*exec.Cmd{}
	clients := map[string]*api.Client{}
	for _, a := range []string{"a0", "a1"} {
		nd := exec.CommandContext(ctx, exe, "run", "--dir", ln.AgencyDir(a))
		logf, err := os.Create(filepath.Join(dir, a+".log"))
		if err != nil {
			return Result{}, err
		}
		defer logf.Close()
		nd.Stderr = logf
		if err := nd.Start(); err != nil {
			return Result{}, fmt.Errorf("attachment: start node: %w", err)
		}
		defer stop(nd)
		procs[a] = nd
		cfg, err := config.LoadNode(ln.AgencyDir(a))
		if err != nil {
			return Result{}, err
		}
		clients[a] = api.NewUnixClient(cfg.API.Socket, "bench")
	}
	for _, a := range []string{"a0", "a1"} {
		if err := pollUntil(ctx, func() bool {
			s, err := clients[a].Status(ctx)
			return err == nil && s.Hub.State == "online" && s.Roster != nil && s.Roster.Members >= 3
		}); err != nil {
			return Result{}, fmt.Errorf("attachment: %s not online: %w", a, err)
		}
	}
	pids := map[string]int{"hub": hub.Process.Pid, "sender": procs["a0"].Process.Pid, "receiver": procs["a1"].Process.Pid}
	cpu0 := map[string]float64{}
	for name, pid := range pids {
		if cpu0[name], err = procCPU(pid); err != nil {
			return Result{}, err
		}
	}
	start := time.Now()
	res, err := clients["a0"].Send(ctx, agency.SendRequest{To: []string{"a1"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: file}}})
	if err != nil {
		return Result{}, fmt.Errorf("attachment: send: %w", err)
	}
	if err := pollUntil(ctx, func() bool {
		items, err := clients["a0"].Outbox(ctx, agency.OutboxQuery{})
		return err == nil && len(items) == 1 && items[0].Copies["a1"] != nil && items[0].Copies["a1"].State == agency.CopyDelivered
	}); err != nil {
		return Result{}, fmt.Errorf("attachment: not delivered: %w", err)
	}
	took := time.Since(start)
	vals := map[string]float64{}
	for name, pid := range pids {
		c, err := procCPU(pid)
		if err != nil {
			return Result{}, err
		}
		vals[name+"_cpu_s"] = c - cpu0[name]
	}
	h := sha256.New()
	if _, err := clients["a1"].Attachment(ctx, res.ID, "attachment.bin", h); err != nil {
		return Result{}, fmt.Errorf("attachment: get: %w", err)
	}
	for name, pid := range pids {
		if vals[name+"_peak_rss_mb"], err = peakRSS(pid); err != nil {
			return Result{}, err
		}
	}
	mb := float64(size) / (1 << 20)
	vals["size_mib"] = mb
	vals["end_to_end_mib_s"] = mb / took.Seconds()
	vals["raw_age_jetstream_mib_s"] = mb / raw.Seconds()
	vals["raw_cpu_s"] = rawCPU.Seconds()
	return Result{
		Name:    "attachment",
		Title:   "attachment: one file sent between two node processes through the hub process, send → delivered (fetched and checked), against age + JetStream of the same bytes",
		Params:  map[string]any{"kind": string(kind), "size": size, "chunk": protocol.AttachChunkSize},
		Seconds: took.Seconds(),
		Ratio:   raw.Seconds() / took.Seconds(), RatioTo: "raw age encryption + JetStream storage",
		Values: vals,
	}, nil
}

// randomFile writes size pseudo-random bytes to path.
func randomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.CopyN(w, rand.NewChaCha8([32]byte{1}), size); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	// On disk before either measure starts: its pages left to write
	// would slow whichever writes next (the kernel throttles the writers
	// of a machine with many).
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// chunkWriter publishes what is written to it as 256 KiB messages.
type chunkWriter struct {
	ctx context.Context
	js  jetstream.JetStream
	buf []byte
	n   int
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf = c.buf[:len(c.buf)+k]
		p = p[k:]
		if len(c.buf) == cap(c.buf) {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.js.PublishAsync("raw.chunk."+strconv.Itoa(c.n), bytes.Clone(c.buf), jetstream.WithMsgID(strconv.Itoa(c.n)), jetstream.WithStallWait(stallWait))
	c.n++
	c.buf = c.buf[:0]
	return err
}

// rawAttachment encrypts file with age to one recipient and the sender, as
// a stream, and stores the ciphertext in 256 KiB messages of a file stream
// on an embedded server over loopback TCP, waiting for every ack, then
// syncs the stream's files.
func rawAttachment(ctx context.Context, dir string, kind protocol.RecipientKind, file string) (time.Duration, error) {
	ids := make([]*identity.Identity, 2)
	for i := range ids {
		id, err := identity.Generate("bench", fmt.Sprintf("r%d", i), "Raw", "SN", kind, time.Now())
		if err != nil {
			return 0, err
		}
		ids[i] = id
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: dir, MaxPayload: 1 << 20})
	if err != nil {
		return 0, err
	}
	go s.Start()
	defer s.Shutdown()
	if !s.ReadyForConnections(10 * time.Second) {
		return 0, fmt.Errorf("server not ready")
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8))
	if err != nil {
		return 0, err
	}
	// The hub's chunk stream, less what only a hub needs (retention,
	// description): one message per chunk subject, never replaced.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "raw", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage,
		MaxMsgSize: 1 << 20, MaxMsgsPerSubject: 1, Discard: jetstream.DiscardNew}); err != nil {
		return 0, err
	}
	in, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	start := time.Now()
	cw := &chunkWriter{ctx: ctx, js: js, buf: make([]byte, 0, protocol.AttachChunkSize)}
	w, err := seal.NewSealer(ids[0]).EncryptAttachment(cw, []*protocol.MemberCard{ids[1].Card})
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, bufio.NewReaderSize(in, 256<<10)); err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	if err := cw.flush(); err != nil {
		return 0, err
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// The hub acknowledges a chunk once it is on disk (sync "always"):
	// the baseline's bytes are on disk at the end too, synced once, the
	// cheapest way there.
	if err := syncTree(filepath.Join(dir, "jetstream")); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// syncTree syncs every file and directory under dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		return nil
	})
}

// pollUntil polls cond every 20 ms until it holds or ctx ends.
func pollUntil(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// procCPU returns the CPU seconds process pid has used so far, user and
// system, from /proc.
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	// The fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("read CPU time of process %d: malformed stat", pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("read CPU time of process %d: malformed stat", pid)
	}
	// Clock ticks: 100 a second on Linux.
	return (utime + stime) / 100, nil
}

// peakRSS returns a process's peak resident memory (VmHWM) in MiB.
func peakRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of process %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for process %d", pid)
}
