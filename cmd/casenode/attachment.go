package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/casenode/casenode/protocol"
	"golang.org/x/term"
)

// attachList is the repeatable --attach flag: FILE or NAME=FILE.
type attachList []agency.AttachFile

func (a *attachList) String() string { return fmt.Sprint(len(*a)) }

// Set implements flag.Value. The path is made absolute: the node reads
// the file.
func (a *attachList) Set(v string) error {
	f := agency.AttachFile{Path: v}
	if name, path, ok := strings.Cut(v, "="); ok && name != "" && !strings.ContainsAny(name, `/\`) {
		f.Name, f.Path = name, path
	}
	abs, err := filepath.Abs(f.Path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	f.Path = abs
	*a = append(*a, f)
	return nil
}

func attachmentVerbs() []nounVerb {
	return []nounVerb{
		{"get", "write out a message's attachment, checked: attachment get ID NAME --out FILE", runAttachmentGet},
		{"list", "list a message's attachments and where each stands: attachment list ID", runAttachmentList},
	}
}

func runAttachment(ctx context.Context, e *env, args []string) error {
	return dispatchVerb(ctx, e, "attachment", attachmentVerbs(), args)
}

func runAttachmentGet(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "attachment get", "ID NAME")
	var cf clientFlags
	cf.register(fs)
	out := fs.String("out", "", "the file to write (created; it must not exist)")
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErrorf("attachment get", "give a message id and an attachment's name")
	}
	if *out == "" {
		return usageErrorf("attachment get", "--out is required")
	}
	c, err := cf.client(e, "attachment get")
	if err != nil {
		return err
	}
	// Written to a temporary file beside the target, kept only once
	// checked.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".casenode-attachment-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := c.Attachment(ctx, fs.Arg(0), fs.Arg(1), tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return cf.nodeError(err)
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s exists: give another --out", *out)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d bytes, SHA-256 checked\n", *out, n)
	return nil
}

func runAttachmentList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "attachment list", "ID")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("attachment list", "give one message id")
	}
	c, err := cf.client(e, "attachment list")
	if err != nil {
		return err
	}
	as, err := c.Attachments(ctx, fs.Arg(0))
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, as)
	}
	if len(as) == 0 {
		fmt.Fprintln(e.stdout, "no attachments")
	}
	for _, a := range as {
		fmt.Fprintf(e.stdout, "%s\t%s\t%d bytes\t%s\tsha256 %s\n", a.Name, a.Media, a.Size, attachState(a), a.SHA256)
	}
	return nil
}

// attachState describes where an attachment stands: done, or its
// progress, rate and time left.
func attachState(a agency.Attachment) string {
	switch {
	case a.State == "done" || a.State == "waiting":
		return a.State
	case a.State == "refused":
		return "refused: " + a.Error
	case a.State == "cancelled" && a.Deleted != nil:
		return "cancelled, deleted at the hub"
	case a.State == "cancelled":
		return "cancelled, to delete at the hub"
	}
	s := fmt.Sprintf("%d%% (%s of %s)", a.Done*100/max(a.CipherSize, 1), mebibytes(a.Done), mebibytes(a.CipherSize))
	if a.Rate > 0 && a.Done < a.CipherSize {
		left := time.Duration(float64(a.CipherSize-a.Done) / a.Rate * float64(time.Second))
		s += fmt.Sprintf(" %.2f MiB/s, %s left", a.Rate/(1<<20), left.Round(time.Second))
	}
	return s
}

// mebibytes writes a size of a transfer in MiB.
func mebibytes(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// attachSummary sums up a message's attachments for a list: empty when
// there are none or they are all done.
func attachSummary(as []agency.Attachment) string {
	var done, total int64
	var rate float64
	all := true
	for _, a := range as {
		total += a.CipherSize
		done += a.Done
		rate += a.Rate
		all = all && a.State == "done"
	}
	if len(as) == 0 || all {
		return ""
	}
	return attachState(agency.Attachment{State: "pending", Done: done, Rate: rate, Attachment: attachTotal(total)})
}

// showUpload draws the upload of a message's attachments on a terminal
// until they are at the hub (the message then leaves), or returns at once
// when standard error is not a terminal.
func showUpload(ctx context.Context, e *env, c *api.Client, id string) error {
	f, ok := e.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := newProgress(e, "uploading")
	for {
		as, err := c.Attachments(ctx, id)
		if err != nil {
			return nil
		}
		var done, total int64
		for _, a := range as {
			done, total = done+a.Done, total+a.CipherSize
			if a.State == "refused" {
				fmt.Fprintf(e.stderr, "\nattachment %s refused: %s (the message is held in the outbox)\n", a.Name, a.Error)
				return nil
			}
		}
		p.update(done, total)
		if allSent(as) {
			fmt.Fprintf(e.stderr, "\r%s\rattachments at the hub: the message is on its way\n", strings.Repeat(" ", 80))
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func allSent(as []agency.Attachment) bool {
	for _, a := range as {
		if a.State != "done" {
			return false
		}
	}
	return true
}

// attachTotal is a manifest of only a ciphertext size, for attachSummary.
func attachTotal(size int64) (a protocol.Attachment) {
	a.CipherSize = size
	return a
}
