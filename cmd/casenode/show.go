package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/casenode/casenode/node/agency"
)

func runShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "show", "ID")
	var cf clientFlags
	cf.register(fs)
	if err := parseFlags(fs, args, true); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("show", "give one message id")
	}
	c, err := cf.client(e, "show")
	if err != nil {
		return err
	}
	m, err := c.Open(ctx, fs.Arg(0))
	if err != nil {
		return cf.nodeError(err)
	}
	if cf.json {
		return printJSON(e, m)
	}
	printMessage(e, m)
	return nil
}

// printMessage prints a message as text: the header, then the body.
func printMessage(e *env, m *agency.Message) {
	h := m.Header
	w := e.stdout
	fmt.Fprintf(w, "message   %s\n", m.ID)
	fmt.Fprintf(w, "type      %s\n", h.MsgType)
	from := h.From
	if s := m.SignedBy; s != nil {
		from = fmt.Sprintf("%s (%s, %s), key %s", s.Agency, s.Name, s.Country, s.KeyID)
	}
	fmt.Fprintf(w, "from      %s\n", from)
	fmt.Fprintf(w, "to        %s\n", strings.Join(h.To, ", "))
	if h.Case != "" {
		fmt.Fprintf(w, "case      %s\n", h.Case)
	}
	fmt.Fprintf(w, "created   %s\n", when(h.Created.Time))
	if h.Expires != nil {
		fmt.Fprintf(w, "expires   %s\n", when(h.Expires.Time))
	}
	if m.Received != nil {
		fmt.Fprintf(w, "received  %s\n", when(*m.Received))
	}
	if m.ReadAt != nil {
		fmt.Fprintf(w, "read      %s by %s\n", when(*m.ReadAt), m.ReadBy)
	}
	if m.Sent != nil {
		fmt.Fprintf(w, "sent      %s by %s\n", when(*m.Sent), m.SentBy)
		fmt.Fprintf(w, "copies    %s\n", copies(m.Copies))
	}
	fmt.Fprintf(w, "sha-256   %s (%d bytes sealed)\n\n", m.Hash, m.Size)
	var body bytes.Buffer
	if json.Indent(&body, m.Body, "", "  ") != nil {
		body.Reset()
		body.Write(m.Body)
	}
	fmt.Fprintf(w, "%s\n", body.Bytes())
}

// copies formats the state of each copy: "gh-ag delivered, ne-mj queued".
func copies(cs map[string]*agency.Copy) string {
	names := make([]string, 0, len(cs))
	for a := range cs {
		names = append(names, a)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, a := range names {
		c := cs[a]
		parts[i] = a + " " + string(c.State)
		if c.Reason != "" {
			parts[i] += " (" + string(c.Reason) + ")"
		}
	}
	return strings.Join(parts, ", ")
}
