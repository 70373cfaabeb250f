package attach

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/casenode/casenode/protocol"
)

// Progress is told the bytes done and the total after each round of
// chunks.
type Progress func(done, total int64)

// Upload uploads the chunks of object the hub does not have, reading the
// ciphertext of size bytes from r, at most the client's in-flight number
// at a time. The object must be declared. It returns once the hub has
// every chunk on disk.
func (c *Client) Upload(ctx context.Context, object string, r io.ReaderAt, size int64, progress Progress) error {
	rec, have, err := c.Stat(ctx, object)
	if err != nil {
		return err
	}
	if rec.CipherSize != size {
		return fmt.Errorf("object %s is declared with %d bytes, the file has %d", object, rec.CipherSize, size)
	}
	total := protocol.AttachChunks(size)
	var missing []int64
	for n := range total {
		if !have.Has(n) {
			missing = append(missing, n)
		}
	}
	done := size - int64(len(missing))*protocol.AttachChunkSize
	if len(missing) > 0 && missing[len(missing)-1] == total-1 {
		done += protocol.AttachChunkSize - protocol.AttachChunkLen(size, total-1)
	}
	if progress != nil {
		progress(done, size)
	}
	bufs := make([][]byte, c.inFlight)
	for i := range bufs {
		bufs[i] = make([]byte, protocol.AttachChunkSize)
	}
	for len(missing) > 0 {
		round := missing[:min(len(missing), c.inFlight)]
		missing = missing[len(round):]
		errs := make([]error, len(round))
		var wg sync.WaitGroup
		for i, n := range round {
			buf := bufs[i][:protocol.AttachChunkLen(size, n)]
			wg.Go(func() {
				if _, err := r.ReadAt(buf, n*protocol.AttachChunkSize); err != nil && err != io.EOF {
					errs[i] = fmt.Errorf("read the file: %w", err)
					return
				}
				tries := 0
				errs[i] = c.retry(ctx, func() error {
					if tries++; tries > 1 {
						c.Again.Add(int64(len(buf)))
					}
					return c.put(ctx, object, n, buf)
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return fmt.Errorf("upload chunk %d of object %s: %w", round[i], object, err)
			}
			done += protocol.AttachChunkLen(size, round[i])
		}
		if progress != nil {
			progress(done, size)
		}
	}
	return nil
}

// Download appends the chunks of object (ciphertext of size bytes) to w
// from chunk from on, in order, at most the client's in-flight number at a
// time. A caller resuming a download passes the number of whole chunks it
// already has. Each chunk is checked against its digest: a chunk that does
// not match fails the download with a *ChunkError.
func (c *Client) Download(ctx context.Context, object string, w io.Writer, size, from int64, progress Progress) error {
	total := protocol.AttachChunks(size)
	done := min(from*protocol.AttachChunkSize, size)
	if progress != nil {
		progress(done, size)
	}
	for next := from; next < total; {
		count := min(total-next, int64(c.inFlight))
		got := make([][]byte, count)
		errs := make([]error, count)
		var wg sync.WaitGroup
		for i := range count {
			n := next + i
			wg.Go(func() {
				tries := 0
				errs[i] = c.retry(ctx, func() error {
					if tries++; tries > 1 {
						c.Again.Add(protocol.AttachChunkLen(size, n))
					}
					b, err := c.get(ctx, object, n, size)
					got[i] = b
					return err
				})
			})
		}
		wg.Wait()
		for i := range count {
			if errs[i] != nil {
				return fmt.Errorf("download chunk %d of object %s: %w", next+i, object, errs[i])
			}
			if _, err := w.Write(got[i]); err != nil {
				return fmt.Errorf("write chunk %d of object %s: %w", next+i, object, err)
			}
			done += int64(len(got[i]))
		}
		next += count
		if progress != nil {
			progress(done, size)
		}
	}
	return nil
}
