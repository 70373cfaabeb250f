package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/casenode/casenode/crypto/witness"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/hub"
)

// witnessFlags are audit verify's flags for the witness's checkpoint: from
// a file the secretariat exported, or fetched from the hub.
type witnessFlags struct {
	checkpoint, from, creds, ca, key string
}

func (f *witnessFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.checkpoint, "witness-checkpoint", "", "the hub witness's latest cosigned checkpoint of this log, as 'casenode hub witness export' wrote it: the log must extend it")
	fs.StringVar(&f.from, "witness-from", "", "fetch the hub witness's latest cosigned checkpoint of this log from the hub at this URL (with --creds)")
	fs.StringVar(&f.creds, "creds", "", "with --witness-from: the hub's admin credentials file (admin.creds)")
	fs.StringVar(&f.ca, "ca", "", "with --witness-from and a tls:// URL: the network CA certificate")
	fs.StringVar(&f.key, "witness-key", "", "a witness verifier key to trust besides those of the log's roster (NAME+HASH+KEY)")
}

// used says whether a witness's checkpoint is asked for.
func (f *witnessFlags) used() bool { return f.checkpoint != "" || f.from != "" }

func (f *witnessFlags) check(cmd, ckpt string) error {
	switch {
	case f.checkpoint != "" && f.from != "":
		return usageErrorf(cmd, "--witness-checkpoint and --witness-from are two ways to the same checkpoint: give one")
	case f.used() && ckpt != "":
		return usageErrorf(cmd, "--checkpoint and a witness's checkpoint cannot be given together: verify with each in turn")
	case f.from != "" && f.creds == "":
		return usageErrorf(cmd, "--witness-from needs --creds, the hub's admin credentials file")
	case f.from == "" && (f.creds != "" || f.ca != ""):
		return usageErrorf(cmd, "--creds and --ca go with --witness-from")
	}
	if f.key != "" {
		if _, err := witness.NewVerifier(f.key); err != nil {
			return usageErrorf(cmd, "--witness-key: %v", err)
		}
	}
	return nil
}

// load returns the witness's cosigned checkpoint of the log origin.
func (f *witnessFlags) load(ctx context.Context, e *env, origin string) ([]byte, error) {
	if f.checkpoint != "" {
		return readInput(e, f.checkpoint, "witness checkpoint", witness.MaxCheckpointSize)
	}
	parts := strings.Split(origin, "/")
	if len(parts) != 3 || parts[0] != "casenode" {
		return nil, fmt.Errorf("the log's origin %q names no network and agency", origin)
	}
	nc, err := hub.ConnectAdmin(f.from, f.creds, f.ca)
	if err != nil {
		return nil, withHint(err, "check --witness-from (the hub's URL), --creds (the hub's admin.creds) and, for tls://, --ca")
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cp, err := hub.FetchWitnessCheckpoint(ctx, nc, parts[1], parts[2])
	if err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, withHint(fmt.Errorf("the hub's witness has cosigned no checkpoint of agency %s", parts[2]),
			"the agency's node has not reached the hub since witnessing began; verify without the witness")
	}
	return cp, nil
}

// witnessNotCosigned is the failure of a witness's checkpoint that carries
// no cosignature by a witness the roster (or --witness-key) names.
func witnessNotCosigned(rep *auditlog.Report) error {
	return &auditlog.VerifyError{Kind: auditlog.KindTrust, Index: rep.Given.Size, AtCheckpoint: true,
		What: "the witness's checkpoint carries no cosignature by a witness key of the log's roster", Expected: "a cosignature by a roster witness", Found: "none"}
}

// printCosignatures prints what verify found of the witnesses'
// cosignatures.
func printCosignatures(w io.Writer, rep *auditlog.Report) {
	if rep.WitnessKeys == 0 {
		fmt.Fprintf(w, "witnesses:    the log's roster names no witness key: cosignatures not checked\n")
		return
	}
	if rep.NewestCosigned == 0 {
		fmt.Fprintf(w, "witnesses:    no checkpoint cosigned by a roster witness (%d witness key(s) known)\n", rep.WitnessKeys)
	} else {
		by := map[string]int{}
		var names []string
		for _, c := range rep.Cosigned {
			for _, n := range c.Witnesses {
				if by[n] == 0 {
					names = append(names, n)
				}
				by[n]++
			}
		}
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s (%s)", n, count(int64(by[n]), "checkpoint", "checkpoints")))
		}
		fmt.Fprintf(w, "witnesses:    cosignatures verified, newest cosigned size %d; by %s\n", rep.NewestCosigned, strings.Join(parts, ", "))
	}
	if rep.Given != nil && len(rep.GivenCosigners) > 0 {
		fmt.Fprintf(w, "witnessed:    the checkpoint given (size %d) is cosigned by %s\n", rep.Given.Size, strings.Join(rep.GivenCosigners, ", "))
	}
}

// cosignedJSON is a checkpoint's cosignatures in audit verify --json.
type cosignedJSON struct {
	Size      int64    `json:"size"`
	Witnesses []string `json:"witnesses"`
	Unknown   int      `json:"unknown_keys,omitempty"`
}

func cosignedToJSON(rep *auditlog.Report) []cosignedJSON {
	var out []cosignedJSON
	for _, c := range rep.Cosigned {
		out = append(out, cosignedJSON{Size: c.Size, Witnesses: append([]string{}, c.Witnesses...), Unknown: c.Unknown})
	}
	return out
}

// printWitness prints the status line of the witnessing of the node's log.
func printWitness(w io.Writer, s *agency.Status) {
	ws := s.Audit.Witness
	if ws == nil || s.Audit.Checkpoint == nil {
		return
	}
	switch {
	case ws.Cosigned == s.Audit.Checkpoint.Size:
		fmt.Fprintf(w, "witness    the last checkpoint is cosigned by the hub's witness\n")
	case ws.Cosigned > 0:
		fmt.Fprintf(w, "witness    last cosigned checkpoint at %s%s\n", count(ws.Cosigned, "record", "records"), witnessError(ws.LastError))
	default:
		fmt.Fprintf(w, "witness    no checkpoint cosigned yet%s\n", witnessError(ws.LastError))
	}
	for _, p := range ws.Peers {
		switch {
		case p.Cosigned == s.Audit.Checkpoint.Size:
			fmt.Fprintf(w, "peer       %s cosigned the last checkpoint\n", p.Agency)
		case p.Cosigned > 0:
			fmt.Fprintf(w, "peer       %s cosigned the checkpoint at %s%s\n", p.Agency, count(p.Cosigned, "record", "records"), witnessError(p.LastError))
		default:
			fmt.Fprintf(w, "peer       %s has cosigned no checkpoint yet%s\n", p.Agency, witnessError(p.LastError))
		}
	}
}

func witnessError(e string) string {
	if e == "" {
		return ""
	}
	return " (" + e + ")"
}
