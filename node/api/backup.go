package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/casenode/casenode/internal/hint"
)

// BackupFilesTrailer is the trailer of GET /v1/backup that gives the
// number of files the archive holds once it is written: a response
// without it is a truncated archive.
const BackupFilesTrailer = "Casenode-Backup-Files"

// backup streams an archive of the node's directory (package
// node/backup). It holds the agency's keys: only the node's own user (or
// root) on the Unix socket may take one.
func (h *handler) backup(w http.ResponseWriter, r *http.Request) {
	if !isOwner(r) {
		writeError(w, http.StatusForbidden, &hint.Error{Msg: "a backup holds the agency's keys: only the node's own user may take one",
			Fix: "run 'casenode backup' as the user the node runs as (or as root), on the node's machine"})
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Trailer", BackupFilesTrailer)
	w.WriteHeader(http.StatusOK)
	m, err := h.n.Backup(w)
	if err != nil {
		// The status is sent: the missing trailer tells the client, and
		// the node's log says why.
		return
	}
	w.Header().Set(BackupFilesTrailer, strconv.Itoa(len(m.Files)))
}

// Backup copies an archive of the node's directory to w. It fails if the
// archive is incomplete.
func (c *Client) Backup(ctx context.Context, w io.Writer) (files int, err error) {
	resp, err := c.request(ctx, http.MethodGet, "/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	files, err = strconv.Atoi(resp.Trailer.Get(BackupFilesTrailer))
	if err != nil {
		return 0, fmt.Errorf("backup: incomplete: the node stopped writing it (see its log)")
	}
	return files, nil
}
