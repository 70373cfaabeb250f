package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/auditlog"
)

func runAuditExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit export", "")
	db := fs.String("db", "", "the audit log file: a copy, opened read-only (required)")
	out := fs.String("out", "", "the directory to write, which must not exist or be empty (required)")
	var idf identityFlags
	fs.StringVar(&idf.dir, "dir", "", "the agency's directory: sign the manifest with its key (manifest.sig); without it, only the agency's checkpoints vouch for the export")
	fs.BoolVar(&idf.passphraseStdin, "passphrase-stdin", false, "read the key passphrase from the first line of standard input (else $"+passphraseEnv+", else a prompt)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("audit export", "--out is required: the directory to export into")
	}
	r, err := openAuditLog("audit export", *db)
	if err != nil {
		return err
	}
	defer r.Close()
	var id *identity.Identity
	if idf.dir != "" {
		if id, err = idf.load(e, "audit export"); err != nil {
			return err
		}
		if o := auditlog.Origin(id.Network(), id.Agency()); o != r.Origin() {
			return withHint(fmt.Errorf("audit export: %s holds the keys of %s, but the log is %s's", idf.dir, o, r.Origin()), "--dir signs the export of the agency's own log")
		}
	}
	p := newProgress(e, "exporting")
	m, err := r.Export(*out, p.update)
	if err != nil {
		return err
	}
	p.finish(m.Records, "exported")
	if id != nil {
		if err := auditlog.SignExport(*out, id.Signing); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "exported %s of %s to %s\n", count(m.Records, "record", "records"), m.Origin, *out)
	fmt.Fprintf(e.stdout, "tiles:    the tree of the latest checkpoint, size %d, root %s (C2SP tlog-tiles)\n", m.Size, m.RootHash)
	fmt.Fprintf(e.stdout, "manifest: %d files with their SHA-256 in %s\n", len(m.Files), filepath.Join(*out, auditlog.ManifestFileName))
	if id != nil {
		fmt.Fprintf(e.stdout, "signed:   %s, by the agency's key (kid %s)\n", filepath.Join(*out, auditlog.ManifestSigFileName), id.KeyID())
	} else {
		fmt.Fprintf(e.stdout, "signed:   the manifest is not (no --dir); 'casenode audit check-export' proves every file from the agency's signed checkpoint\n")
	}
	return nil
}

func runAuditCheckExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit check-export", "DIR")
	cardPath := fs.String("card", "", "the agency's member card as you know it; without it the card in the export's record 0 is trusted")
	asJSON := fs.Bool("json", false, "print JSON (stable field names) instead of text")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("audit check-export", "give the directory 'casenode audit export' wrote")
	}
	dir := fs.Arg(0)
	card, err := loadAuditCard(*cardPath)
	if err != nil {
		return err
	}
	res, err := auditlog.CheckExport(dir, card)
	if err != nil {
		return auditFailure("audit check-export", err)
	}
	cp := res.Checkpoint
	if *asJSON {
		return printJSON(e, struct {
			OK             bool   `json:"ok"`
			Origin         string `json:"origin"`
			Size           int64  `json:"size"`
			Root           string `json:"root_hash"`
			Files          int    `json:"files"`
			Checkpoints    int    `json:"checkpoints"`
			Anchored       bool   `json:"anchored"`
			ManifestSigned bool   `json:"manifest_signed"`
		}{true, cp.Origin, cp.Size, cp.Root.String(), len(res.Manifest.Files), res.Checkpoints, res.Anchored, res.ManifestSigned})
	}
	fmt.Fprintf(e.stdout, "export %s of %s: checked\n", dir, cp.Origin)
	fmt.Fprintf(e.stdout, "files:       %d, each against the manifest, and nothing else\n", len(res.Manifest.Files))
	fmt.Fprintf(e.stdout, "checkpoint:  size %d, root %s, signed by %s\n", cp.Size, cp.Root, map[bool]string{true: "the key of the card given", false: "the key of the card in record 0 (pass --card to anchor it)"}[res.Anchored])
	fmt.Fprintf(e.stdout, "tree:        every hash tile and entry bundle leads to that root; records.jsonl is the entries, each payload its record's\n")
	fmt.Fprintf(e.stdout, "checkpoints: %d in checkpoints.jsonl, each signed and matching the tree\n", res.Checkpoints)
	if res.ManifestSigned {
		fmt.Fprintf(e.stdout, "manifest:    signed by the agency (manifest.sig)\n")
	} else {
		fmt.Fprintf(e.stdout, "manifest:    not signed; every file was proved from the agency's signed checkpoint instead\n")
	}
	return nil
}
