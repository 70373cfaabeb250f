package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

// exitRejected is the exit code of open when the message is rejected.
const exitRejected = 3

func runOpen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "open", "")
	var idf identityFlags
	idf.register(fs)
	trust := fs.String("trust", "", "member card files of the agencies you trust as senders, comma-separated (your own card is always trusted)")
	in := fs.String("in", "", "the sealed message file ('-' for standard input)")
	proof := fs.String("proof", "", "also write the sender's signature over the body (proof of authorship for a third party) to this file")
	skew := fs.Duration("skew", seal.DefaultSkew, "how far in the future a message's creation time may be")
	outDir := fs.String("out-dir", "", "for a bundle with attachments: the directory to write them into, checked (files there are not replaced)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *in == "" {
		return usageErrorf("open", "--in is required")
	}
	id, err := idf.load(e, "open")
	if err != nil {
		return err
	}
	cards, err := loadCards(*trust)
	if err != nil {
		return err
	}
	src, closeIn, err := openInput(e, *in)
	if err != nil {
		return err
	}
	defer closeIn()
	br := bufio.NewReaderSize(src, 256<<10)
	bundle := false
	if head, _ := br.Peek(len(seal.BundleMagic)); seal.IsBundle(head) {
		bundle = true
	}
	var raw []byte
	if bundle {
		raw, err = seal.ReadBundleHead(br)
	} else {
		raw, err = readLimited(br, "sealed message", protocol.MaxMessageSize+1)
	}
	if err != nil {
		return err
	}
	keys := seal.NewCardSet(append(cards, id.Card)...)
	o, err := seal.Open(raw, id, keys, seal.VerifyOptions{Now: e.now(), Skew: *skew})
	if err != nil {
		return &exitError{code: exitRejected, err: err}
	}
	if len(o.Attachments) > 0 {
		if !bundle {
			return &exitError{code: exitRejected, err: fmt.Errorf("the message names %d attachments, but %s is not a bundle holding them", len(o.Attachments), *in)}
		}
		if *outDir == "" {
			return usageErrorf("open", "--out-dir is required: the bundle holds %d attachments", len(o.Attachments))
		}
		if err := openAttachments(e, br, o.Attachments, id, *outDir); err != nil {
			return &exitError{code: exitRejected, err: err}
		}
	}
	sender, _ := keys.Card(o.Header.From)
	out := openedView{
		Message: o.Header,
		SignedBy: signer{
			Agency: sender.Agency, Name: sender.Name, Country: sender.Country, KeyID: o.Header.Kid,
		},
		Body:        o.Body,
		Attachments: o.Attachments,
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	if *proof != "" {
		return writeNew(e, *proof, o.Signed, 0o600)
	}
	return nil
}

// openedView is what open prints.
type openedView struct {
	Message  *protocol.Header `json:"message"`
	SignedBy signer           `json:"signed_by"`
	Body     json.RawMessage  `json:"body"`
	// Attachments are the files of a bundle, written out and checked.
	Attachments []protocol.Attachment `json:"attachments,omitempty"`
}

type signer struct {
	Agency  string `json:"agency"`
	Name    string `json:"name"`
	Country string `json:"country"`
	KeyID   string `json:"kid"`
}
