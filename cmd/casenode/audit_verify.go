package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/casenode/casenode/node/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

func runAuditVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit verify", "")
	db := fs.String("db", "", "the audit log file: a copy, opened read-only (required)")
	ckpt := fs.String("checkpoint", "", "a checkpoint of this log kept from an earlier verification: prove the log still holds and extends it")
	cardPath := fs.String("card", "", "the agency's member card as you know it: anchors whose log this is")
	asJSON := fs.Bool("json", false, "print the result as JSON (stable for scripts)")
	noMessages := fs.Bool("skip-messages", false, "skip the signature checks of stored messages and receipts")
	save := fs.String("save-checkpoint", "", "also write the latest checkpoint to this new file, to pass with --checkpoint next time")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), auditExitCodes)
	}
	var wf witnessFlags
	wf.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := wf.check("audit verify", *ckpt); err != nil {
		return err
	}
	o := auditlog.VerifyOptions{CheckMessage: auditlog.CheckMessage}
	if *noMessages {
		o.CheckMessage = nil
	}
	var err error
	if o.Card, err = loadAuditCard(*cardPath); err != nil {
		return err
	}
	if *ckpt != "" {
		if o.Checkpoint, err = readInput(e, *ckpt, "checkpoint", auditlog.MaxCheckpointSize); err != nil {
			return err
		}
	}
	r, err := openAuditLog("audit verify", *db)
	if err != nil {
		return err
	}
	defer r.Close()
	if wf.key != "" {
		o.WitnessKeys = []string{wf.key}
	}
	if wf.used() {
		if o.Checkpoint, err = wf.load(ctx, e, r.Origin()); err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
	}

	p := newProgress(e, "verifying")
	o.Progress = p.update
	rep, err := r.Verify(ctx, o)
	if err == nil && wf.used() && len(rep.GivenCosigners) == 0 {
		err = witnessNotCosigned(rep)
	}
	if err != nil {
		var ve *auditlog.VerifyError
		checked := p.done
		if errors.As(err, &ve) {
			checked = max(ve.Index, 0)
		}
		p.finish(checked, "checked")
		if *asJSON && errors.As(err, &ve) {
			writeJSON(e.stdout, verifyFailureJSON(ve))
		}
		return auditFailure("audit verify", err)
	}
	p.finish(rep.Records, "checked")
	if *save != "" {
		if rep.Latest == nil {
			return fmt.Errorf("audit verify: the log has no checkpoint to save")
		}
		if err := writeNew(e, *save, rep.Latest.Note, 0o644); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, verifyReportJSON(rep))
	}
	printVerifyReport(e.stdout, rep, o)
	return nil
}

func printVerifyReport(w io.Writer, rep *auditlog.Report, o auditlog.VerifyOptions) {
	fmt.Fprintf(w, "audit log %s: verified\n", rep.Origin)
	fmt.Fprintf(w, "records:      %d (encoding, sequence, hash chain, payload hashes, Merkle tree)\n", rep.Records)
	fmt.Fprintf(w, "checkpoints:  %d, every signature and root hash checked\n", rep.Checkpoints)
	if rep.Anchored {
		fmt.Fprintf(w, "trust:        anchored by the member card given (kid %s)\n", o.Card.KeyID())
	} else {
		fmt.Fprintf(w, "trust:        the card in the log's first record (kid %s); pass --card to anchor it to the card you know\n", rep.OwnKeys[0])
	}
	if len(rep.OwnKeys) > 1 {
		fmt.Fprintf(w, "own keys:     %s (the agency changed keys %s)\n", strings.Join(rep.OwnKeys, ", "), times(len(rep.OwnKeys)-1))
	}
	if o.CheckMessage != nil {
		fmt.Fprintf(w, "messages:     %s checked: another agency's against the roster in force at their record (before the log's first roster, the cards of its key records), the agency's own against its own card\n", count(rep.MessagesChecked, "signature", "signatures"))
	} else {
		fmt.Fprintf(w, "messages:     signatures not checked (--skip-messages)\n")
	}
	fmt.Fprintf(w, "cards:        %s of other agencies checked against the roster in force at their record", count(rep.CardsChecked, "key record", "key records"))
	if rep.CardsBeforeRoster > 0 {
		fmt.Fprintf(w, "; %d before the log's first roster, trusted as recorded", rep.CardsBeforeRoster)
	}
	fmt.Fprintln(w)
	if rep.Given != nil {
		fmt.Fprintf(w, "consistency:  the log extends the checkpoint given (size %d): nothing it covered was removed or changed\n", rep.Given.Size)
	} else {
		fmt.Fprintf(w, "consistency:  no earlier checkpoint given: removal of the newest records cannot be ruled out\n")
	}
	printCosignatures(w, rep)
	fmt.Fprintf(w, "\nlatest checkpoint (keep it, and pass it with --checkpoint next time):\n\n%s", rep.Latest.Note)
}

// verifyJSON is the --json output of audit verify.
type verifyJSON struct {
	OK              bool            `json:"ok"`
	Origin          string          `json:"origin,omitempty"`
	Records         int64           `json:"records,omitempty"`
	Checkpoints     int             `json:"checkpoints,omitempty"`
	Anchored        bool            `json:"anchored,omitempty"`
	OwnKeys         []string        `json:"own_keys,omitempty"`
	MessagesChecked int64           `json:"messages_checked,omitempty"`
	CardsChecked    int64           `json:"cards_checked,omitempty"`
	CardsUnchecked  int64           `json:"cards_before_roster,omitempty"`
	Given           *checkpointJSON `json:"consistent_with,omitempty"`
	Latest          *checkpointJSON `json:"latest_checkpoint,omitempty"`
	Cosigned        []cosignedJSON  `json:"cosigned,omitempty"`
	NewestCosigned  int64           `json:"newest_cosigned_size,omitempty"`
	GivenCosigners  []string        `json:"consistent_with_cosigned_by,omitempty"`
	Failure         *failureJSON    `json:"failure,omitempty"`
}

type checkpointJSON struct {
	Size int64     `json:"size"`
	Root tlog.Hash `json:"root_hash"`
	Note string    `json:"note"`
}

type failureJSON struct {
	Kind         string          `json:"kind"`
	ExitCode     int             `json:"exit_code"`
	Index        int64           `json:"index"`
	AtCheckpoint bool            `json:"at_checkpoint"`
	Through      int64           `json:"through,omitempty"`
	What         string          `json:"what"`
	Expected     string          `json:"expected,omitempty"`
	Found        string          `json:"found,omitempty"`
	LastGood     *checkpointJSON `json:"last_good_checkpoint,omitempty"`
}

func checkpointToJSON(c *auditlog.Checkpoint) *checkpointJSON {
	if c == nil {
		return nil
	}
	return &checkpointJSON{Size: c.Size, Root: c.Root, Note: string(c.Note)}
}

func verifyReportJSON(rep *auditlog.Report) verifyJSON {
	return verifyJSON{
		OK: true, Origin: rep.Origin, Records: rep.Records, Checkpoints: rep.Checkpoints, Anchored: rep.Anchored,
		OwnKeys: rep.OwnKeys, MessagesChecked: rep.MessagesChecked, CardsChecked: rep.CardsChecked, CardsUnchecked: rep.CardsBeforeRoster,
		Given: checkpointToJSON(rep.Given), Latest: checkpointToJSON(rep.Latest),
		Cosigned: cosignedToJSON(rep), NewestCosigned: rep.NewestCosigned, GivenCosigners: rep.GivenCosigners,
	}
}

func verifyFailureJSON(ve *auditlog.VerifyError) verifyJSON {
	var x *exitError
	code := exitFailure
	if errors.As(auditFailure("", ve), &x) {
		code = x.code
	}
	return verifyJSON{Failure: &failureJSON{
		Kind: ve.Kind.String(), ExitCode: code, Index: ve.Index, AtCheckpoint: ve.AtCheckpoint, Through: ve.Through,
		What: ve.What, Expected: ve.Expected, Found: ve.Found, LastGood: checkpointToJSON(ve.LastGood),
	}}
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
