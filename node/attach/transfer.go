package attach

import (
	"context"
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
//
// When the hub says so, the chunks are published into its chunk stream,
// whose acknowledgement says that a chunk is written, not synced: the
// upload then ends with a stat, for which the hub syncs the stream, that
// must list every chunk (a hub killed meanwhile may have lost the last
// ones: they are sent again).
func (c *Client) Upload(ctx context.Context, object string, r io.ReaderAt, size int64, progress Progress) error {
	for round := 0; ; round++ {
		again, err := c.upload(ctx, object, r, size, progress)
		if err != nil || !again {
			return err
		}
		if round == maxUploadRounds {
			return fmt.Errorf("upload object %s: the hub lost chunks after it acknowledged them, %d times", object, round+1)
		}
	}
}

// maxUploadRounds bounds the uploads again of an object whose chunks the
// hub acknowledged and then did not have.
const maxUploadRounds = 3

// upload is one round of Upload; again is true when chunks the hub
// acknowledged were missing from its stat after.
func (c *Client) upload(ctx context.Context, object string, r io.ReaderAt, size int64, progress Progress) (again bool, _ error) {
	rec, have, prefix, err := c.stat(ctx, object)
	if err != nil {
		return false, err
	}
	if rec.CipherSize != size {
		return false, fmt.Errorf("object %s is declared with %d bytes, the file has %d", object, rec.CipherSize, size)
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
	if len(missing) == 0 {
		return false, nil
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
					return c.put(ctx, object, prefix, n, b)
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
		return false, ctx.Err()
	}
	if first != nil || prefix == "" {
		return false, first
	}
	// Published: on disk once a stat lists them.
	_, have, _, err = c.stat(ctx, object)
	if err != nil {
		return false, err
	}
	return have.Count() != total, nil
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

// followPoll is how often Follow asks the hub which chunks it has;
// followLag is how far behind the newest chunk stored Follow stays until
// the object is whole: the hub's store keeps the blocks it reads in memory
// for a while, and reading the block being written while it is written
// kept three times as many (measured: 317 MB of heap at the hub instead of
// 142 for a 128 MiB object), while 10 MiB behind it reads blocks already
// complete.
const (
	followPoll = 100 * time.Millisecond
	followLag  = 40
)

// Follow is Download of an object still being uploaded: it fetches a
// chunk once the hub has it and followLag more (or the whole object),
// asking the hub which chunks it has every followPoll, until no chunk was
// stored for idle: then it fails with the hub's not-found refusal, after
// the chunks before were written.
func (c *Client) Follow(ctx context.Context, object string, w io.Writer, size, from int64, idle time.Duration, progress Progress) error {
	return c.download(ctx, object, w, size, from, idle, progress)
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
	// Following an object being uploaded, chunk n is handed out only once
	// the hub has it and followLag more; stopped is closed with why when
	// the hub stopped getting chunks.
	stopped := make(chan struct{})
	var why error
	wg.Go(func() {
		defer close(next)
		ready := total
		if idle > 0 {
			ready = 0
		}
		var stored int64
		grew := time.Now()
		for n := from; n < total; n++ {
			for n >= ready {
				_, have, err := c.Stat(ctx, object)
				if err != nil {
					why = err
					close(stopped)
					return
				}
				if count := have.Count(); count == total {
					ready = total
				} else {
					if count > stored {
						stored, grew = count, time.Now()
					}
					var k int64
					for have.Has(k) {
						k++
					}
					ready = max(ready, k-followLag)
				}
				if n < ready {
					break
				}
				if time.Since(grew) > idle {
					why = &ServiceError{Code: protocol.AttachNotFound, Msg: fmt.Sprintf("no chunk of object %s was stored for %s", object, idle)}
					close(stopped)
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(followPoll):
				}
			}
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
					var err error
					b, err = c.get(ctx, object, n, size)
					return err
				})
				slots[(n-from)%window] <- result{b, err}
			}
		})
	}
	for n := from; n < total; n++ {
		var res result
		select {
		case res = <-slots[(n-from)%window]:
		case <-stopped:
			return fmt.Errorf("follow object %s: %w", object, why)
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
