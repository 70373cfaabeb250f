package console

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/gate"
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

// errUploadCSRF is a post whose files come before a valid CSRF token.
var errUploadCSRF = errors.New("files before the form's token")

// readUpload reads a message posted with files, part by part: the fields
// into r.Form (at most gate.MaxForm bytes of them), each file streamed
// into a new file readable by the node only (0600, created exclusively)
// in a directory of its own under the node's attachments directory, never
// into the system's temporary directory. A file is taken only after the
// form's CSRF token, which the page puts before the files. cleanup removes
// the files: Send has encrypted them by the end of the request.
func (s *Server) readUpload(r *http.Request, sess *gate.Session) (_ []agency.AttachFile, cleanup func(), err error) {
	cleanup = func() {}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, cleanup, err
	}
	values := url.Values{}
	r.Form, r.PostForm = values, values
	var (
		files  []agency.AttachFile
		dir    string
		fields int64
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return files, cleanup, nil
		}
		if err != nil {
			return nil, cleanup, err
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, gate.MaxForm-fields+1))
			part.Close()
			if fields += int64(len(b)); err != nil || fields > gate.MaxForm {
				return nil, cleanup, fmt.Errorf("form fields over %d bytes", gate.MaxForm)
			}
			values.Add(part.FormName(), string(b))
			continue
		}
		if part.FormName() != "attach" {
			part.Close()
			continue
		}
		if !gate.CSRFOK(r, sess) {
			part.Close()
			return nil, cleanup, errUploadCSRF
		}
		if dir == "" {
			root := filepath.Join(s.n.Dir(), "attachments")
			if err := os.MkdirAll(root, 0o700); err != nil {
				return nil, cleanup, err
			}
			if dir, err = os.MkdirTemp(root, "upload-"); err != nil {
				return nil, cleanup, err
			}
			cleanup = func() { os.RemoveAll(dir) }
		}
		path := filepath.Join(dir, strconv.Itoa(len(files)))
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = io.Copy(out, part)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		part.Close()
		if err != nil {
			return nil, cleanup, err
		}
		files = append(files, agency.AttachFile{Path: path, Name: filepath.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))})
	}
}
