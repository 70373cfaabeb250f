package attach

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casenode/casenode/protocol"
)

// Progress is told the bytes done and the total as chunks complete.
type Progress func(done, total int64)

// Upload uploads the chunks of object the hub does not have, reading the
// ciphertext of size bytes from r, with the client's in-flight number of
// chunks in flight (a sliding window: a worker takes the next chunk as
// soon as its last one is stored). The object must be declared. It
// returns once the hub has every chunk on disk, or at the first chunk that
// failed for good.
func (c *Client) Upload(ctx context.Context, object string, r io.ReaderAt, size int64, progress Progress) error {
	rec, have, err := c.Stat(ctx, object)
	if err != nil {
		return err
	}
	if rec.CipherSize != size {
		return fmt.Errorf("object %s is declared with %d bytes, the file has %d", object, rec.CipherSize, size)
	}
	total := protocol.AttachChunks(size)
	var done int64
	missing := make(chan int64, total)
	for n := range total {
		if have.Has(n) {
			done += protocol.AttachChunkLen(size, n)
		} else {
			missing <- n
		}
	}
	close(missing)
	if progress != nil {
		progress(done, size)
	}
	// After a failure no chunk is started, but those in flight finish:
	// the hub keeps them for the next attempt.
	var (
		mu      sync.Mutex
		first   error
		wg      sync.WaitGroup
		stopped atomic.Bool
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		stopped.Store(true)
	}
	for range c.inFlight {
		wg.Go(func() {
			buf := make([]byte, protocol.AttachChunkSize)
			for n := range missing {
				if stopped.Load() || ctx.Err() != nil {
					return
				}
				b := buf[:protocol.AttachChunkLen(size, n)]
				if _, err := r.ReadAt(b, n*protocol.AttachChunkSize); err != nil && err != io.EOF {
					fail(fmt.Errorf("upload chunk %d of object %s: read the file: %w", n, object, err))
					return
				}
				tries := 0
				err := c.retry(ctx, func() error {
					if tries++; tries > 1 {
						c.Again.Add(int64(len(b)))
					}
					return c.put(ctx, object, n, b)
				})
				if err != nil {
					fail(fmt.Errorf("upload chunk %d of object %s: %w", n, object, err))
					return
				}
				mu.Lock()
				done += int64(len(b))
				d := done
				mu.Unlock()
				if progress != nil {
					progress(d, size)
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// Download appends the chunks of object (ciphertext of size bytes) to w
// from chunk from on, in order, with the client's in-flight number of
// chunks in flight (a sliding window: chunk n+inFlight is asked for as
// soon as chunk n is written). A caller resuming a download passes the
// number of whole chunks it already has. Each chunk is checked against its
// digest: a chunk that does not match fails the download with a
// *ChunkError, after the chunks before it were written.
func (c *Client) Download(ctx context.Context, object string, w io.Writer, size, from int64, progress Progress) error {
	return c.download(ctx, object, w, size, from, 0, progress)
}

// followPoll is how often Follow asks again for a chunk not stored yet.
const followPoll = 100 * time.Millisecond

// Follow is Download of an object still being uploaded: a chunk the hub
// does not have yet is asked for again every followPoll until it is
// stored, or until no chunk came for idle (then the download fails with
// the hub's not-found refusal, after the chunks before it were written).
func (c *Client) Follow(ctx context.Context, object string, w io.Writer, size, from int64, idle time.Duration, progress Progress) error {
	return c.download(ctx, object, w, size, from, idle, progress)
}

// notStored reports whether err is the hub's answer for a chunk it does
// not have.
func notStored(err error) bool {
	var se *ServiceError
	return errors.As(err, &se) && se.Code == protocol.AttachNotFound
}

func (c *Client) download(ctx context.Context, object string, w io.Writer, size, from int64, idle time.Duration, progress Progress) error {
	total := protocol.AttachChunks(size)
	done := min(from*protocol.AttachChunkSize, size)
	if progress != nil {
		progress(done, size)
	}
	if from >= total {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		data []byte
		err  error
	}
	// slots[n % window] carries chunk n from its fetcher to the writer.
	window := int64(c.inFlight)
	slots := make([]chan result, window)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	next := make(chan int64)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		defer close(next)
		for n := from; n < total; n++ {
			select {
			case next <- n:
			case <-ctx.Done():
				return
			}
		}
	})
	// A fetcher takes chunk n only once the writer freed its slot: the
	// writer hands out tokens, one per slot.
	tokens := make(chan struct{}, window)
	for range window {
		tokens <- struct{}{}
	}
	var last atomic.Int64 // when a chunk last came, in Unix nanoseconds
	last.Store(time.Now().UnixNano())
	for range window {
		wg.Go(func() {
			for {
				select {
				case <-tokens:
				case <-ctx.Done():
					return
				}
				n, ok := <-next
				if !ok {
					return
				}
				tries := 0
				var b []byte
				err := c.retry(ctx, func() error {
					if tries++; tries > 1 {
						c.Again.Add(protocol.AttachChunkLen(size, n))
					}
					for {
						var err error
						b, err = c.get(ctx, object, n, size)
						if err == nil {
							last.Store(time.Now().UnixNano())
						}
						if idle <= 0 || !notStored(err) || time.Since(time.Unix(0, last.Load())) > idle {
							return err
						}
						select {
						case <-ctx.Done():
							return ctx.Err()
						case <-time.After(followPoll):
						}
					}
				})
				slots[(n-from)%window] <- result{b, err}
			}
		})
	}
	for n := from; n < total; n++ {
		var res result
		select {
		case res = <-slots[(n-from)%window]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if res.err != nil {
			return fmt.Errorf("download chunk %d of object %s: %w", n, object, res.err)
		}
		if _, err := w.Write(res.data); err != nil {
			return fmt.Errorf("write chunk %d of object %s: %w", n, object, err)
		}
		done += int64(len(res.data))
		if progress != nil {
			progress(done, size)
		}
		tokens <- struct{}{}
	}
	return nil
}
