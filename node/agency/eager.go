package agency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/casenode/casenode/node/attach"
	"github.com/casenode/casenode/protocol"
)

// Uploading while encrypting: when the node is online as a message is
// sent, each attachment is declared to the hub as soon as its ciphertext's
// size is known (age writes its header first, and the size follows from
// the plaintext's), with its digest left empty, and its chunks are
// uploaded from the spooled file as the encryption writes them. The
// message itself is recorded once the file is encrypted and synced, and
// published, as always, only once the transfer loop found every chunk at
// the hub and declared the digest. A node killed meanwhile leaves at the
// hub an object no message names, deleted at the network's retention.

// growingFile is the spooled ciphertext while it is written: reads wait
// until the bytes they ask for are written, or the writing ended.
type growingFile struct {
	w io.Writer

	mu      sync.Mutex
	changed *sync.Cond
	n       int64
	end     bool
	err     error // why the writing stopped early
	r       *os.File
}

func newGrowingFile(w io.Writer) *growingFile {
	g := &growingFile{w: w}
	g.changed = sync.NewCond(&g.mu)
	return g
}

func (g *growingFile) Write(p []byte) (int, error) {
	n, err := g.w.Write(p)
	g.mu.Lock()
	g.n += int64(n)
	g.changed.Broadcast()
	g.mu.Unlock()
	return n, err
}

// finish ends the writing: err is why it stopped early, nil when the file
// is whole.
func (g *growingFile) finish(err error) {
	g.mu.Lock()
	g.end, g.err = true, err
	g.changed.Broadcast()
	g.mu.Unlock()
}

// ReadAt reads what was written at off, waiting for it.
func (g *growingFile) ReadAt(b []byte, off int64) (int, error) {
	g.mu.Lock()
	for g.n < off+int64(len(b)) && !g.end {
		g.changed.Wait()
	}
	n, err := g.n, g.err
	g.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("the encryption stopped: %w", err)
	}
	if n < off+int64(len(b)) {
		return 0, fmt.Errorf("the encrypted file has %d bytes, fewer than announced", n)
	}
	return g.r.ReadAt(b, off)
}

// eager declares attachment index of message id to the hub, its
// ciphertext of size bytes spooled into path through g, and uploads its
// chunks as g grows, on a goroutine of its own. It returns an error only
// for the hub's refusal of the declaration (a limit): that fails the send
// before anything is uploaded. Offline, or if the hub cannot answer now,
// it does nothing: the transfer loop uploads the file once the message is
// recorded.
func (x *transfers) eager(ctx context.Context, id string, index int, name string, to []string, object string, size int64, path string, g *growingFile) error {
	c := x.client.Load()
	if c == nil {
		return nil
	}
	if online, _ := x.n.hub.watch(); !online {
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, declareTimeout)
	err := c.Declare(dctx, object, &protocol.AttachNewRequest{CipherSize: size, Index: index, Message: id, To: to})
	cancel()
	if err != nil {
		return declareRefusal(err, name)
	}
	r, err := os.Open(path)
	if err != nil {
		return nil
	}
	g.mu.Lock()
	g.r = r
	g.mu.Unlock()
	x.mu.Lock()
	run := x.runCtx
	if run == nil {
		x.mu.Unlock()
		r.Close()
		return nil
	}
	x.eagers.Add(1)
	x.mu.Unlock()
	unlock := x.objects.lock(object)
	octx, stop := x.whileOnline(run)
	uctx, stopped := x.uploading(octx, object)
	go func() {
		defer x.eagers.Done()
		defer unlock()
		defer stop()
		defer stopped()
		defer r.Close()
		defer x.untrack(object)
		if err := c.Upload(uctx, object, g, size, x.track(object)); err != nil {
			x.n.log.Info("attachments: the upload during encryption stopped; the node goes on from what the hub has", "object", object, "err", err)
		}
	}()
	return nil
}

// declareTimeout bounds the declarations made while a message is sent.
const declareTimeout = 10 * time.Second

// declareRefusal is the error of a send whose attachment the hub refused
// to declare: a limit, named, or another refusal; nil for an error asking
// again may cure (the transfer loop declares it then).
func declareRefusal(err error, name string) error {
	var se *attach.ServiceError
	if errors.As(err, &se) && se.Code == protocol.AttachLimit {
		return invalid("send a smaller file, or ask the secretariat about the network's limits (hub.json)", "attachment %s refused by the hub before upload: %s", name, se.Msg)
	}
	if why, ok := permanent(err); ok {
		return invalid("check the file and try again", "attachment %s refused by the hub: %s", name, why)
	}
	return nil
}
