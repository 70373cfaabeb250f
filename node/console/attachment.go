package console

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
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
