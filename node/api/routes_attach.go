package api

import (
	"net/http"
	"strconv"
)

// Headers of an attachment's download: its manifest's plaintext digest and
// size, so that the client checks what it wrote; AttachmentCheckTrailer is
// "ok" once the node checked the whole plaintext against them.
const (
	AttachmentSHA256Header = "Casenode-Attachment-Sha256"
	AttachmentSizeHeader   = "Casenode-Attachment-Size"
	AttachmentCheckTrailer = "Casenode-Attachment-Check"
)

func (h *handler) attachments(w http.ResponseWriter, r *http.Request) {
	as, err := h.n.Attachments(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, orEmpty(as))
}

// attachment streams the plaintext of one attachment, fetching it from
// the hub first if needed.
func (h *handler) attachment(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	as, err := h.n.Attachments(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	for _, x := range as {
		if x.Name == r.PathValue("name") {
			w.Header().Set(AttachmentSHA256Header, x.SHA256)
			w.Header().Set(AttachmentSizeHeader, strconv.FormatInt(x.Size, 10))
		}
	}
	w.Header().Set("Trailer", AttachmentCheckTrailer)
	lw := &lazyWriter{w: w}
	if _, err := h.n.AttachmentGet(r.Context(), a, r.PathValue("id"), r.PathValue("name"), lw); err != nil {
		if !lw.started {
			h.fail(w, err)
		}
		// Once the plaintext flows the status is sent: the missing
		// trailer tells the client.
		return
	}
	if !lw.started {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
	}
	w.Header().Set(AttachmentCheckTrailer, "ok")
}

// lazyWriter sends the status with the first byte, so that an error
// before it (not found, not fetched yet) is an error response.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/octet-stream")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
