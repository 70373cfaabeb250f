package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/s2"
)

// Meter is a loopback TCP proxy between one node and its hub that counts
// the bytes crossing it in each direction, by what they carry: it reads
// the NATS client protocol (docs.nats.io, "Client Protocol") as it copies
// it, and files each operation, its protocol line, headers, payload and
// line ends included, under a Category. A stream it cannot read (TLS, an
// unknown operation) is counted whole under CategoryOther from there on.
//
// Each operation it can read is also compressed alone with S2 (the
// compression NATS offers on routes and leaf-node connections, not on
// client connections) to tell what such compression would save on the
// link: an operation compressed alone is what a connection that flushes
// each publication by itself would send.
type Meter struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	counts map[Direction]map[Category]int64
	s2     map[Direction]map[Category]int64 // the same operations, each S2-compressed
	pubs   map[string]int                   // Nats-Msg-Id of a message publication → publications
	size   map[string]int                   // Nats-Msg-Id → bytes of one publication
	conns  []net.Conn
	wg     sync.WaitGroup
}

// Direction is which way bytes cross the link.
type Direction string

// Directions of a Meter.
const (
	Up   Direction = "up"   // from the node to the hub
	Down Direction = "down" // from the hub to the node
)

// Category is what a NATS operation carries.
type Category string

// Categories of a Meter.
const (
	CategoryMessage Category = "message" // publication or delivery of a sealed message
	CategoryReceipt Category = "receipt" // publication or delivery of a receipt
	CategoryOther   Category = "other"   // acknowledgements, pull requests, roster reads, pings, connects
)

// NewMeter starts a meter on a random loopback port in front of target.
func NewMeter(target string) (*Meter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &Meter{ln: ln, target: target, counts: map[Direction]map[Category]int64{Up: {}, Down: {}},
		s2: map[Direction]map[Category]int64{Up: {}, Down: {}}, pubs: map[string]int{}, size: map[string]int{}}
	m.wg.Add(1)
	go m.accept()
	return m, nil
}

// Addr is the address the node dials.
func (m *Meter) Addr() string { return m.ln.Addr().String() }

// Snapshot returns the bytes counted so far.
func (m *Meter) Snapshot() map[Direction]map[Category]int64 { return m.snapshot(m.counts) }

// SnapshotS2 returns what the operations counted so far would take,
// each compressed alone with S2 (streams the meter could not read are
// counted as they are).
func (m *Meter) SnapshotS2() map[Direction]map[Category]int64 { return m.snapshot(m.s2) }

func (m *Meter) snapshot(counts map[Direction]map[Category]int64) map[Direction]map[Category]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[Direction]map[Category]int64{}
	for d, cs := range counts {
		out[d] = map[Category]int64{}
		for c, n := range cs {
			out[d][c] = n
		}
	}
	return out
}

// Publications returns how many times each copy of a message (by its
// Nats-Msg-Id) was published through the meter.
func (m *Meter) Publications() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.pubs))
	for k, v := range m.pubs {
		out[k] = v
	}
	return out
}

// PublicationSizes returns the bytes of one publication of each copy (by
// its Nats-Msg-Id), protocol line, headers and payload included.
func (m *Meter) PublicationSizes() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.size))
	for k, v := range m.size {
		out[k] = v
	}
	return out
}

// Close stops the meter and cuts the connections through it.
func (m *Meter) Close() error {
	err := m.ln.Close()
	m.mu.Lock()
	for _, c := range m.conns {
		c.Close()
	}
	m.mu.Unlock()
	m.wg.Wait()
	return err
}

func (m *Meter) accept() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		h, err := net.Dial("tcp", m.target)
		if err != nil {
			c.Close()
			continue
		}
		m.mu.Lock()
		m.conns = append(m.conns, c, h)
		m.mu.Unlock()
		m.wg.Add(2)
		go m.pipe(h, c, Up)
		go m.pipe(c, h, Down)
	}
}

// add counts n bytes that the meter could not read as operations.
func (m *Meter) add(d Direction, c Category, n int) {
	m.mu.Lock()
	m.counts[d][c] += int64(n)
	m.s2[d][c] += int64(n)
	m.mu.Unlock()
}

// addOp counts one operation, its protocol line and its payload.
func (m *Meter) addOp(d Direction, c Category, line, payload []byte) {
	op := make([]byte, 0, len(line)+len(payload))
	op = append(append(op, line...), payload...)
	z := len(s2.Encode(nil, op))
	m.mu.Lock()
	m.counts[d][c] += int64(len(op))
	m.s2[d][c] += int64(z)
	m.mu.Unlock()
}

// pipe copies src to dst, counting.
func (m *Meter) pipe(dst, src net.Conn, d Direction) {
	defer m.wg.Done()
	defer dst.Close()
	defer src.Close()
	r := bufio.NewReaderSize(src, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			m.add(d, CategoryOther, len(line))
			if _, err := dst.Write(line); err != nil {
				return
			}
			m.raw(dst, r, d)
			return
		}
		if len(line) > 0 {
			if _, werr := dst.Write(line); werr != nil {
				return
			}
		}
		if err != nil {
			m.add(d, CategoryOther, len(line))
			return
		}
		cat, payload, ok := classify(line)
		if !ok {
			m.add(d, CategoryOther, len(line))
			m.raw(dst, r, d)
			return
		}
		line = bytes.Clone(line)
		buf := make([]byte, payload)
		n, err := io.ReadFull(r, buf)
		m.addOp(d, cat, line, buf[:n])
		if d == Up && cat == CategoryMessage && bytes.HasPrefix(line, []byte("HPUB ")) {
			if id := msgID(buf[:n]); id != "" {
				m.mu.Lock()
				m.pubs[id]++
				m.size[id] = len(line) + n
				m.mu.Unlock()
			}
		}
		if _, werr := dst.Write(buf[:n]); werr != nil || err != nil {
			return
		}
	}
}

// raw copies the rest of the stream counted as CategoryOther.
func (m *Meter) raw(dst io.Writer, r io.Reader, d Direction) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m.add(d, CategoryOther, n)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// classify reads one NATS protocol line and returns what the operation
// carries and how many bytes follow the line (its payload and CRLF).
func classify(line []byte) (Category, int, bool) {
	f := strings.Fields(string(bytes.TrimRight(line, "\r\n")))
	if len(f) == 0 {
		return CategoryOther, 0, true
	}
	size := func(s string) (int, bool) {
		n, err := strconv.Atoi(s)
		return n + 2, err == nil && n >= 0
	}
	switch strings.ToUpper(f[0]) {
	case "PUB", "MSG": // PUB subj [reply] n; MSG subj sid [reply] n
		n, ok := size(f[len(f)-1])
		return subjectCategory(f[1]), n, ok && len(f) >= 3
	case "HPUB", "HMSG": // HPUB subj [reply] h t; HMSG subj sid [reply] h t
		n, ok := size(f[len(f)-1])
		return subjectCategory(f[1]), n, ok && len(f) >= 4
	case "CONNECT", "INFO", "PING", "PONG", "SUB", "UNSUB", "+OK", "-ERR":
		return CategoryOther, 0, true
	}
	return CategoryOther, 0, false
}

// msgID returns the Nats-Msg-Id header of an HPUB payload, or "".
func msgID(payload []byte) string {
	end := bytes.Index(payload, []byte("\r\n\r\n"))
	if end < 0 {
		return ""
	}
	for _, l := range strings.Split(string(payload[:end]), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Nats-Msg-Id") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// subjectCategory files a subject: casenet.NET.in|msg.FROM.TO.TYPE carry
// messages and receipts (TYPE may hold a dot: case.lead); everything else
// is the protocol's own traffic.
func subjectCategory(subject string) Category {
	p := strings.SplitN(subject, ".", 6)
	if len(p) != 6 || p[0] != "casenet" || p[2] != "in" && p[2] != "msg" {
		return CategoryOther
	}
	if p[5] == "receipt" {
		return CategoryReceipt
	}
	return CategoryMessage
}
