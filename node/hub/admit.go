package hub

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/protocol"
)

// AdmitOptions adjust an admission.
type AdmitOptions struct {
	// CredsOut is where the agency's NATS credentials go; empty means
	// H/creds/AGENCY.creds.
	CredsOut string
	// ClientCert also issues a client certificate of the network CA next
	// to the credentials; always done when hub.json has
	// tls.verify_clients.
	ClientCert bool
}

// Admission is what Admit did.
type Admission struct {
	Roster *SignedRoster
	// Credentials is the agency's credentials file (secret: handed over
	// out of band).
	Credentials string
	// ClientCert and ClientKey are the agency's client certificate and
	// key, when issued.
	ClientCert, ClientKey string
	// NetworkCA is the network CA's certificate, when the hub serves TLS.
	NetworkCA string
}

// Admit admits the agency of card (Add), then issues its client
// certificate when asked or required: what 'casenode member add' and the
// secretariat's console both do. A failed certificate leaves the agency
// admitted, and the error says how to issue it.
func (s *Secretariat) Admit(card *protocol.MemberCard, o AdmitOptions, now time.Time) (*Admission, error) {
	sr, err := s.Add(card, o.CredsOut, now)
	if err != nil {
		return nil, err
	}
	a := &Admission{Roster: sr, Credentials: o.CredsOut}
	if a.Credentials == "" {
		a.Credentials = filepath.Join(s.dir, CredsDir, card.Agency+".creds")
	}
	if o.ClientCert || s.cfg.TLS.VerifyClients {
		certFile, keyFile := ClientCertPaths(a.Credentials)
		c, err := s.IssueClientCert(card.Agency, certFile, keyFile, now)
		if err != nil {
			return a, &hint.Error{Msg: fmt.Sprintf("%s is admitted, but its client certificate was not issued: %v", card.Agency, err),
				Fix: fmt.Sprintf("issue it with 'casenode member cert --dir %s %s'", s.dir, card.Agency)}
		}
		a.ClientCert, a.ClientKey = c.CertFile, c.KeyFile
	}
	if s.cfg.TLS.Enabled() {
		a.NetworkCA = filepath.Join(s.dir, CACertFile)
	}
	return a, nil
}
