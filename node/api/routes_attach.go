package api

import (
	"net/http"
	"strconv"
	"strings"
)

// Headers of an attachment's download: its manifest's plaintext digest and
// size, so that the client checks what it wrote; AttachmentCheckTrailer is
// "ok" once the node checked the whole plaintext against them, "failed: "
// and the node's reason when a check failed after the plaintext began.
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
			return
		}
		// Once the plaintext flows the status is sent: the trailer
		// tells the client why the check failed.
		w.Header().Set(AttachmentCheckTrailer, checkFailed+trailerText(err.Error()))
		return
	}
	if !lw.started {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
	}
	w.Header().Set(AttachmentCheckTrailer, "ok")
}

// checkFailed begins the trailer of an attachment whose check failed once
// its plaintext flowed; the node's reason follows.
const checkFailed = "failed: "

// trailerText is s as one line of printable text for a trailer, at most
// 512 bytes.
func trailerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 512 {
		s = strings.ToValidUTF8(s[:512], "")
	}
	return s
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
