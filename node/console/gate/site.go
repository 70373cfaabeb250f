package gate

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
)

// Site is where a console is served: its address, its TLS certificate if
// any, and the name its errors and log lines carry ("console",
// "secretariat console"…).
type Site struct {
	Name              string
	Addr              string
	CertFile, KeyFile string
	ln                net.Listener
}

// Listen opens the site's address.
func (s *Site) Listen() error {
	ln, err := Listen(s.Addr, s.CertFile, s.KeyFile)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	s.ln = ln
	return nil
}

// URL returns the site's address once Listen has returned.
func (s *Site) URL() string { return URL(s.ln, s.CertFile != "") }

// Bound returns the address listened on, nil before Listen.
func (s *Site) Bound() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve serves h until ctx ends, listening first if Listen was not
// called.
func (s *Site) Serve(ctx context.Context, h http.Handler, log *slog.Logger) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	log.Info(s.Name+" serving", "url", s.URL())
	if err := Serve(ctx, s.ln, h, log); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	return nil
}
