package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func runSend(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "send", "")
	var cf clientFlags
	cf.register(fs)
	to := fs.String("to", "", "recipient agency ids, comma-separated")
	typ := fs.String("type", "", "message type: case.lead, case.request, case.reply or case.status")
	in := fs.String("in", "", "the body, a JSON file ('-' for standard input); 'casenode example TYPE' prints one")
	caseID := fs.String("case", "", "the case id: messages with one case id form a thread")
	expires := fs.Duration("expires", 0, "recipients refuse the message after this long (e.g. 72h); 0 means never")
	var files attachList
	fs.Var(&files, "attach", "a file to send with the message, encrypted like it (repeat for several; NAME=FILE names it); the message leaves once they are all at the hub")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	for name, v := range map[string]string{"to": *to, "type": *typ, "in": *in} {
		if v == "" {
			return usageErrorf("send", "--%s is required", name)
		}
	}
	body, err := readJSONInput(e, *in, "body", protocol.MaxBodySize, fmt.Sprintf("'casenode example %s' prints a valid body to start from", *typ))
	if err != nil {
		return err
	}
	c, err := cf.client(e, "send")
	if err != nil {
		return err
	}
	req := agency.SendRequest{To: strings.Split(*to, ","), Type: protocol.MessageType(*typ), Case: *caseID, Body: body, Attach: files}
	for i := range req.To {
		req.To[i] = strings.TrimSpace(req.To[i])
	}
	if *expires > 0 {
		t := e.now().Add(*expires)
		req.Expires = &t
	}
	res, err := c.Send(ctx, req)
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, res)
	}
	fmt.Fprintln(e.stdout, res.ID)
	if len(files) > 0 {
		return showUpload(ctx, e, c, res.ID)
	}
	return nil
}

// when formats a time for the text output: local, to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
