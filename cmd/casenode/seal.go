package main

import (
	"context"
	"fmt"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

func runSeal(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "seal", "")
	var idf identityFlags
	idf.register(fs)
	to := fs.String("to", "", "recipients' member card files, comma-separated")
	typ := fs.String("type", "", "message type: case.lead, case.request, case.reply, case.status, contact.card")
	in := fs.String("in", "", "the body, a JSON file ('-' for standard input; see 'casenode example TYPE')")
	out := fs.String("out", "", "where to write the sealed message ('-' for standard output)")
	caseID := fs.String("case", "", "case/thread id the message belongs to")
	expires := fs.Duration("expires", 0, "if set, recipients reject the message after this long (e.g. 720h)")
	var files attachList
	fs.Var(&files, "attach", "a file to seal with the message (repeat for several; NAME=FILE names it): the output is then one bundle file that 'casenode open' reads")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *to == "" || *typ == "" || *in == "" || *out == "" {
		return usageErrorf("seal", "--to, --type, --in and --out are required")
	}
	t, err := protocol.ParseMessageType(*typ)
	if err != nil || t == protocol.TypeReceipt {
		return usageErrorf("seal", "--type: must be one of case.lead, case.request, case.reply, case.status, contact.card")
	}
	if *caseID != "" {
		if err := protocol.ValidateCaseID(*caseID); err != nil {
			return usageErrorf("seal", "--case: %v", err)
		}
	}
	id, err := idf.load(e, "seal")
	if err != nil {
		return err
	}
	cards, err := loadCards(*to)
	if err != nil {
		return err
	}
	body, err := readJSONInput(e, *in, "body", protocol.MaxBodySize, fmt.Sprintf("'casenode example %s' prints a valid body to start from", *typ))
	if err != nil {
		return err
	}
	opts := seal.Options{Case: *caseID, Now: e.now()}
	if *expires > 0 {
		opts.Expires = opts.Now.Add(*expires)
	}
	if len(files) > 0 {
		return sealBundle(e, id, cards, t, body, opts, files, *out)
	}
	s, err := seal.Seal(id, cards, t, body, opts)
	if err != nil {
		return withHintIfMissing(err, fmt.Sprintf("'casenode example %s' prints a valid body to start from", t))
	}
	if err := writeNew(e, *out, s.Raw, 0o644); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Fprintln(e.stdout, s.Header.ID)
	}
	return nil
}
