package console

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/casenode/casenode/node/agency"
)

// attachment gives back one attachment of a message, checked against its
// manifest (the node fetches it from the hub first if needed). The access
// is recorded under the person's account. A file that fails its check
// after the first bytes left ends the response without its last part, so
// the browser reports a failed download.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request, c *call) {
	id, name := r.PathValue("id"), r.PathValue("name")
	as, err := s.n.Attachments(id)
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	found := false
	for _, a := range as {
		if a.Name == name {
			found = true
			w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
			w.Header().Set("X-Content-Type-Options", "nosniff")
		}
	}
	if !found {
		s.notFound(w, r)
		return
	}
	lw := &firstByte{w: w}
	if _, err := s.n.AttachmentGet(r.Context(), c.actor(), id, name, lw); err != nil {
		if !lw.started {
			w.Header().Del("Content-Length")
			w.Header().Del("Content-Disposition")
			s.failErr(w, r, c, err)
			return
		}
		s.log.Warn("attachment download failed after it started", "message", id, "attachment", name, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// firstByte sends the status with the first byte written.
type firstByte struct {
	w       http.ResponseWriter
	started bool
}

func (f *firstByte) Write(p []byte) (int, error) {
	if !f.started {
		f.started = true
		f.w.WriteHeader(http.StatusOK)
	}
	return f.w.Write(p)
}

// sizeOf writes a size in bytes for people.
func sizeOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// uploads copies the files posted with a message into the node's
// directory (private to the node), for Send to encrypt them; cleanup
// removes the copies once Send returned (it has encrypted them by then).
func (s *Server) uploads(r *http.Request) ([]agency.AttachFile, func(), error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["attach"]) == 0 {
		return nil, func() {}, nil
	}
	dir, err := os.MkdirTemp(filepath.Join(s.n.Dir(), "attachments"), "upload-")
	if err != nil {
		if err = os.MkdirAll(filepath.Join(s.n.Dir(), "attachments"), 0o700); err == nil {
			dir, err = os.MkdirTemp(filepath.Join(s.n.Dir(), "attachments"), "upload-")
		}
		if err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() { os.RemoveAll(dir) }
	var files []agency.AttachFile
	for i, fh := range r.MultipartForm.File["attach"] {
		name := filepath.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
		in, err := fh.Open()
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		path := filepath.Join(dir, strconv.Itoa(i))
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = io.Copy(out, in)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		in.Close()
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		files = append(files, agency.AttachFile{Path: path, Name: name})
	}
	return files, cleanup, nil
}
