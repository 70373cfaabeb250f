package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/peercred"
)

// ControlSocket is the running hub's Unix socket in its directory (mode
// 0600). Only the hub's own operating-system user, or root, is served
// (the kernel's peer credentials say who connects); members never reach
// it. It serves what only the running hub can do consistently: today an
// online backup (GET /v1/backup).
const ControlSocket = "hub.sock"

// maxSocketPath is the longest Unix socket path every Unix accepts.
const maxSocketPath = 104

// backupFilesTrailer is the trailer of GET /v1/backup that gives the
// number of files the archive holds once it is written: a response
// without it is a truncated archive.
const backupFilesTrailer = "Casenode-Backup-Files"

// controlServer serves the control socket.
type controlServer struct {
	srv  *http.Server
	path string
	done chan struct{}
}

// serveControl opens the control socket. A hub directory whose path is
// too long for a socket gets none: the hub runs, and says that online
// backups are unavailable.
func (h *Hub) serveControl() error {
	path := filepath.Join(h.dir, ControlSocket)
	if len(path) >= maxSocketPath {
		h.log.Warn("no control socket: the hub directory's path is too long for a Unix socket; online backups are unavailable",
			"path", path, "fix", "move the hub directory to a shorter path")
		return nil
	}
	// The run lock (lockRun) says no other hub serves this directory: a
	// socket left here is stale.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return &hint.Error{Msg: fmt.Sprintf("%s exists and is not a socket", path), Fix: "move it away: the hub makes its control socket there"}
		}
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/backup", h.serveBackup)
	c := &controlServer{path: path, done: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ConnContext: ownerContext}}
	go func() {
		defer close(c.done)
		if err := c.srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("control socket stopped", "err", err)
		}
	}()
	h.control = c
	return nil
}

// close stops serving, letting a backup in progress finish for a while,
// and removes the socket.
func (c *controlServer) close() {
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil {
		c.srv.Close()
	}
	<-c.done
	os.Remove(c.path)
}

// ownerKey marks a connection from the hub's own user or root.
type ownerKey struct{}

// ownerContext is the control socket's ConnContext: it marks a connection
// whose peer, as the kernel tells it, runs as the hub's own user or root.
func ownerContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	uid, err := peercred.UID(uc)
	if err != nil || uid != os.Getuid() && uid != 0 {
		return ctx
	}
	return context.WithValue(ctx, ownerKey{}, true)
}

// controlError is the body of a refused control request.
type controlError struct {
	Error string `json:"error"`
	Hint  string `json:"hint,omitempty"`
}

func writeControlError(w http.ResponseWriter, status int, err error) {
	body := controlError{Error: err.Error()}
	var hinted hint.Hinted
	if errors.As(err, &hinted) {
		body.Hint = hinted.Hint()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// serveBackup streams an online backup (Hub.Backup). The archive holds the
// secretariat's key: only the hub's own user or root may take one.
func (h *Hub) serveBackup(w http.ResponseWriter, r *http.Request) {
	if owner, _ := r.Context().Value(ownerKey{}).(bool); !owner {
		writeControlError(w, http.StatusForbidden, &hint.Error{Msg: "a backup holds the secretariat's key: only the hub's own user may take one",
			Fix: "run 'casenode hub backup' as the user the hub runs as (or as root), on the hub's machine"})
		return
	}
	w.Header().Set("Trailer", backupFilesTrailer)
	lw := &lazyOK{w: w}
	m, err := h.Backup(r.Context(), lw, time.Now())
	if err != nil {
		if !lw.started {
			writeControlError(w, http.StatusInternalServerError, err)
		}
		// Else the status is sent: the missing trailer tells the
		// client, and the hub's log says why.
		return
	}
	w.Header().Set(backupFilesTrailer, strconv.Itoa(len(m.Files)))
}

// lazyOK sends the status 200 with the first bytes, so that an error
// before them is answered as one.
type lazyOK struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyOK) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/gzip")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// ControlUnreachableError says that no hub answers on a directory's
// control socket: no hub runs there (or one too old to have the socket).
type ControlUnreachableError struct {
	Path string
	Err  error
}

func (e *ControlUnreachableError) Error() string {
	return fmt.Sprintf("no hub answers on %s: %v", e.Path, e.Err)
}

func (e *ControlUnreachableError) Unwrap() error { return e.Err }

// BackupRunning asks the hub running on dir for an online backup through
// its control socket and copies the archive to w; it returns the number of
// files the archive holds, and a *ControlUnreachableError when no hub
// answers.
func BackupRunning(ctx context.Context, dir string, w io.Writer) (files int, err error) {
	path := filepath.Join(dir, ControlSocket)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hub/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return 0, &ControlUnreachableError{Path: path, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var ce controlError
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &ce) != nil || ce.Error == "" {
			ce.Error = fmt.Sprintf("the hub answered %s", resp.Status)
		}
		return 0, &hint.Error{Msg: ce.Error, Fix: ce.Hint}
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	files, err = strconv.Atoi(resp.Trailer.Get(backupFilesTrailer))
	if err != nil {
		return 0, errors.New("backup: incomplete: the hub stopped writing it (see its log)")
	}
	return files, nil
}
