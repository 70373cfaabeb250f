package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
)

func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "inspect", "")
	in := fs.String("in", "", "the sealed message file ('-' for standard input)")
	ciphertext := fs.String("ciphertext", "", "write the message's encrypted part, a standard age file, to this file ('-' for standard output)")
	trust := fs.String("trust", "", "member card files, comma-separated: also verify the sender's signature against them")
	asJSON := fs.Bool("json", false, "print the header as JSON")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if *in == "" {
		return usageErrorf("inspect", "--in is required")
	}
	raw, err := readInput(e, *in, "sealed message", protocol.MaxMessageSize+1)
	if err != nil {
		return err
	}
	env, _, err := seal.Parse(raw)
	if err != nil {
		return &exitError{code: exitRejected, err: err}
	}
	verified := "not checked (give --trust to check it)"
	if *trust != "" {
		cards, err := loadCards(*trust)
		if err != nil {
			return err
		}
		if _, err := seal.Verify(raw, seal.NewCardSet(cards...), seal.VerifyOptions{SkipTime: true}); err != nil {
			return &exitError{code: exitRejected, err: err}
		}
		verified = "valid, by " + env.Header.From
	}
	if *ciphertext != "" {
		if err := writeNew(e, *ciphertext, env.Ciphertext, 0o644); err != nil {
			return err
		}
		if *ciphertext == "-" {
			return nil
		}
	}
	h := env.Header
	if *asJSON {
		b, err := json.MarshalIndent(h, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return nil
	}
	fmt.Fprintf(e.stdout, "message   %s\n", h.ID)
	fmt.Fprintf(e.stdout, "format    v%d\n", h.V)
	fmt.Fprintf(e.stdout, "network   %s\n", h.Net)
	fmt.Fprintf(e.stdout, "type      %s\n", h.MsgType)
	fmt.Fprintf(e.stdout, "from      %s (key %s)\n", h.From, h.Kid)
	fmt.Fprintf(e.stdout, "to        %s\n", strings.Join(h.To, ", "))
	if h.Case != "" {
		fmt.Fprintf(e.stdout, "case      %s\n", h.Case)
	}
	fmt.Fprintf(e.stdout, "created   %s\n", h.Created)
	if h.Expires != nil {
		fmt.Fprintf(e.stdout, "expires   %s\n", h.Expires)
	}
	fmt.Fprintf(e.stdout, "size      %d bytes (age ciphertext %d bytes)\n", len(raw), len(env.Ciphertext))
	fmt.Fprintf(e.stdout, "signature %s\n", verified)
	return nil
}
