package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/casenode/casenode/crypto/tlsca"
	"github.com/casenode/casenode/node/hub"
)

// hostList is a repeatable flag of host names and addresses.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

// Set implements flag.Value; a value may itself be a comma-separated list.
func (h *hostList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if err := tlsca.ValidateHost(s); err != nil {
				return err
			}
			*h = append(*h, s)
		}
	}
	return nil
}

// tlsFlags are the flags that describe a hub's TLS.
type tlsFlags struct {
	hosts         hostList
	alg           string
	verifyClients bool
}

func (f *tlsFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.hosts, "tls-host", "a DNS name or IP address agencies reach the hub at, as in their hub URL (repeat, or comma-separate); localhost, 127.0.0.1 and a specific listen address are added; hub tls without it keeps the current certificate's names")
	fs.StringVar(&f.alg, "tls-alg", string(tlsca.ECDSAP256), "key algorithm of the certificates: "+string(tlsca.ECDSAP256)+" or "+string(tlsca.Ed25519))
	fs.BoolVar(&f.verifyClients, "tls-verify-clients", false, "mutual TLS: every client also presents a certificate of the network CA ('casenode member add' issues them)")
}

func (f *tlsFlags) options(cmd string) (*hub.TLSOptions, error) {
	alg, err := tlsca.ParseAlgorithm(f.alg)
	if err != nil {
		return nil, usageErrorf(cmd, "--tls-alg: %v", err)
	}
	return &hub.TLSOptions{Hosts: f.hosts, Alg: alg, VerifyClients: f.verifyClients}, nil
}

func runHubTLS(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub tls", "")
	var d hubDirFlags
	d.register(fs, false)
	var t tlsFlags
	t.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub tls"); err != nil {
		return err
	}
	o, err := t.options("hub tls")
	if err != nil {
		return err
	}
	o.Now = e.now()
	res, err := hub.EnableTLS(d.dir, *o)
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	printTLS(e.stdout, res, o.VerifyClients)
	fmt.Fprintf(e.stdout, "restart the hub to serve it: it takes TLS at start\n")
	return nil
}

// printTLS tells the operator what the hub's TLS is made of and what the
// agencies need.
func printTLS(w io.Writer, res *hub.TLSResult, mutual bool) {
	if res.NewCA {
		fmt.Fprintf(w, "  network CA:        %s  (public: hand it to every agency with its credentials)\n", res.CAFile)
	} else {
		fmt.Fprintf(w, "  network CA:        %s  (kept)\n", res.CAFile)
	}
	fmt.Fprintf(w, "  hub certificate:   %s  for %s, valid until %s\n", res.CertFile, strings.Join(res.Hosts, ", "), res.NotAfter.UTC().Format("2006-01-02"))
	if mutual {
		fmt.Fprintf(w, "  mutual TLS:        every client presents a certificate of the network CA; admin's: %s\n", res.AdminCert)
	}
	fmt.Fprintf(w, "  agencies connect to tls://HOST:PORT with HOST one of the names above, and trust the network CA only\n")
}
