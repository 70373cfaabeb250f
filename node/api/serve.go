package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/internal/durable"
	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/agency"
)

// maxSocketPath is the longest Unix socket path every Unix accepts.
const maxSocketPath = 104

// Server serves a node's API on its listeners.
type Server struct {
	n         *agency.Node
	log       *slog.Logger
	servers   []*http.Server
	listeners []net.Listener
}

// NewServer returns the API server of n. log may be nil.
func NewServer(n *agency.Node, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{n: n, log: log}
}

// Listen opens the listeners the node's configuration names: the Unix
// socket (created with mode 0600, replacing a stale one) and, if
// api.listen is set, that TCP address behind the bearer token of
// api.token_file (created if missing).
func (s *Server) Listen() error {
	cfg := s.n.Config().API
	h := Handler(s.n)
	unixL, err := listenUnix(cfg.Socket)
	if err != nil {
		return err
	}
	s.servers = []*http.Server{{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnContext: socketActor}}
	s.listeners = []net.Listener{unixL}
	if cfg.Listen == "" {
		return nil
	}
	tokens, err := loadTokens(cfg.TokenFile)
	if err != nil {
		s.close()
		return err
	}
	tcpL, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		s.close()
		return fmt.Errorf("api.listen %s: %w", cfg.Listen, err)
	}
	s.servers = append(s.servers, &http.Server{Handler: RequireToken(tokens, h), ReadHeaderTimeout: 10 * time.Second})
	s.listeners = append(s.listeners, tcpL)
	return nil
}

// Addrs returns the addresses listened on: the socket, then the TCP
// address if any.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

func (s *Server) close() {
	for _, l := range s.listeners {
		l.Close()
	}
	os.Remove(s.n.Config().API.Socket)
}

// Serve serves on the listeners until ctx ends, then lets the requests in
// progress finish and removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	for _, a := range s.Addrs() {
		s.log.Info("API listening", "address", a.String(), "network", a.Network())
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(s.servers))
	for i, srv := range s.servers {
		wg.Go(func() {
			if err := srv.Serve(s.listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		})
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		srv.Shutdown(sctx)
	}
	wg.Wait()
	os.Remove(s.n.Config().API.Socket)
	return err
}

// Serve listens and serves the API of n until ctx ends; see Server.
func Serve(ctx context.Context, n *agency.Node, log *slog.Logger) error {
	s := NewServer(n, log)
	if err := s.Listen(); err != nil {
		return err
	}
	return s.Serve(ctx)
}

// listenUnix listens on the socket at path with mode 0600. A socket file
// left by a node that stopped is replaced; the node's lock on its store
// guarantees that no other node serves it.
func listenUnix(path string) (net.Listener, error) {
	if len(path) >= maxSocketPath {
		return nil, &hint.Error{Msg: fmt.Sprintf("API socket path %s is %d bytes long, over the %d a Unix socket allows", path, len(path), maxSocketPath-1),
			Fix: "set api.socket in node.json to a shorter path, or move the node directory"}
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, &hint.Error{Msg: fmt.Sprintf("%s exists and is not a socket", path), Fix: "move it away, or set api.socket in node.json"}
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("API socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("API socket: %w", err)
	}
	return l, nil
}

// DefaultTokenHolder is the holder of the token the node writes into a new
// token file.
const DefaultTokenHolder = "api"

// Token is a bearer token of the TCP API and who holds it.
type Token struct {
	Holder string
	Secret []byte
}

// loadTokens reads the bearer tokens of the TCP API, creating the file
// with one random token held by DefaultTokenHolder and mode 0600 if it
// does not exist. Each line is "HOLDER TOKEN"; a line of a token alone
// (files of earlier versions) is held by DefaultTokenHolder; blank lines
// and lines starting with # are ignored. A token file readable by others
// is refused.
func loadTokens(path string) ([]Token, error) {
	var b [32]byte
	rand.Read(b[:])
	text := "# casenode API tokens: one \"HOLDER TOKEN\" per line; the holder is recorded as who acts\n" +
		DefaultTokenHolder + " " + hex.EncodeToString(b[:]) + "\n"
	err := durable.WriteNew(path, []byte(text), 0o600)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("API token: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("API token: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s is readable by others (mode %#o)", path, fi.Mode().Perm()), Fix: "run: chmod 600 " + path}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("API token: %w", err)
	}
	if len(data) > maxTokenFile {
		return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s is over %d bytes", path, maxTokenFile), Fix: "keep one \"HOLDER TOKEN\" line per holder"}
	}
	return parseTokens(path, string(data))
}

// maxTokenFile bounds the token file.
const maxTokenFile = 64 << 10

// parseTokens parses a token file's text.
func parseTokens(path, text string) ([]Token, error) {
	const fix = "each line is \"HOLDER TOKEN\": a name of 1 to 64 letters, digits or ._@- and a token of at least 32 characters"
	var out []Token
	holders := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		holder, secret := DefaultTokenHolder, fields[0]
		switch len(fields) {
		case 1:
		case 2:
			holder, secret = fields[0], fields[1]
		default:
			return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s, line %d: %d fields", path, i+1, len(fields)), Fix: fix}
		}
		if !validHolder(holder) {
			return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s, line %d: holder %.70q is not a valid name", path, i+1, holder), Fix: fix}
		}
		if holders[holder] {
			return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s, line %d: holder %q has two tokens", path, i+1, holder), Fix: "give each holder one token, so that the audit log tells them apart"}
		}
		if len(secret) < 32 {
			return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s, line %d: the token of %s is shorter than 32 characters", path, i+1, holder), Fix: fix}
		}
		holders[holder] = true
		out = append(out, Token{Holder: holder, Secret: []byte(secret)})
	}
	if len(out) == 0 {
		return nil, &hint.Error{Msg: fmt.Sprintf("API token file %s holds no token", path), Fix: "remove the file: the node writes a new random token at its next start"}
	}
	return out, nil
}

// validHolder reports whether s may name a token's holder.
func validHolder(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._@-", c)) {
			return false
		}
	}
	return true
}

// RequireToken lets through only requests bearing one of tokens, compared
// in constant time with each of them, and authenticates the request's
// actor as the token's holder ("token:HOLDER" in the audit log).
func RequireToken(tokens []Token, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		holder := ""
		for _, t := range tokens {
			if subtle.ConstantTimeCompare([]byte(got), t.Secret) == 1 {
				holder = t.Holder
			}
		}
		if !ok || holder == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="casenode"`)
			writeError(w, http.StatusUnauthorized, &hint.Error{Msg: "missing or wrong bearer token", Fix: "send 'Authorization: Bearer TOKEN' with a token of api.token_file"})
			return
		}
		h.ServeHTTP(w, r.WithContext(WithActor(r.Context(), agency.Actor{Via: agency.ViaToken, Name: "token:" + holder})))
	})
}
