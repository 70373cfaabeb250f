package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/node/agency"
)

// Client calls a node's API.
type Client struct {
	hc    *http.Client
	base  string
	where string
	token string
	// Actor is sent as the Casenode-Actor header: the local user acting.
	Actor string
}

// NewUnixClient returns a client of the API on the Unix socket at path.
func NewUnixClient(path, actor string) *Client {
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &Client{hc: &http.Client{Transport: tr}, base: "http://casenode", where: path, Actor: actor}
}

// NewTCPClient returns a client of the API at base (http://HOST:PORT)
// with the bearer token.
func NewTCPClient(base, token, actor string) *Client {
	return &Client{hc: &http.Client{}, base: strings.TrimSuffix(base, "/"), where: base, token: token, Actor: actor}
}

// do sends a request and decodes a JSON response into out.
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, out any) error {
	resp, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the node's answer: %w", method, path, err)
	}
	return nil
}

// request sends a request and returns a successful response; an error
// response becomes a *hint.Error of kind Status.
func (c *Client) request(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Actor != "" {
		req.Header.Set(ActorHeader, c.Actor)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &UnreachableError{Where: c.where, Err: unwrapURL(err)}
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var eb ErrorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
		eb.Error = fmt.Sprintf("%s %s: %s", method, path, resp.Status)
	}
	return nil, &hint.Error{Kind: Status(resp.StatusCode), Msg: eb.Error, Fix: eb.Hint}
}

func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// Send sends a case message.
func (c *Client) Send(ctx context.Context, req agency.SendRequest) (*agency.SendResult, error) {
	body, err := jsonBody(req)
	if err != nil {
		return nil, err
	}
	var res agency.SendResult
	return &res, c.do(ctx, http.MethodPost, "/v1/messages", body, &res)
}

// Open returns message id and records that the client's actor opened it.
func (c *Client) Open(ctx context.Context, id string) (*agency.Message, error) {
	var m agency.Message
	return &m, c.do(ctx, http.MethodPost, "/v1/messages/"+url.PathEscape(id)+"/open", nil, &m)
}

// Inbox lists received messages.
func (c *Client) Inbox(ctx context.Context, q agency.InboxQuery) ([]*agency.MessageSummary, error) {
	v := url.Values{}
	set(v, "type", string(q.Type))
	set(v, "case", q.Case)
	set(v, "from", q.From)
	setBool(v, "unread", q.Unread)
	setUint(v, "after", q.After)
	setUint(v, "limit", uint64(q.Limit))
	var l MessageList
	return l.Messages, c.do(ctx, http.MethodGet, "/v1/inbox"+encode(v), nil, &l)
}

// Outbox lists sent messages.
func (c *Client) Outbox(ctx context.Context, q agency.OutboxQuery) ([]*agency.OutboxItem, error) {
	v := url.Values{}
	setBool(v, "pending", q.Pending)
	set(v, "type", string(q.Type))
	set(v, "case", q.Case)
	set(v, "to", q.To)
	setUint(v, "after", q.After)
	setUint(v, "limit", uint64(q.Limit))
	var l OutboxList
	return l.Messages, c.do(ctx, http.MethodGet, "/v1/outbox"+encode(v), nil, &l)
}

// CancelOutbox withdraws a sent message held in the outbox, never
// published, and returns it as the outbox now shows it.
func (c *Client) CancelOutbox(ctx context.Context, id string) (*agency.OutboxItem, error) {
	var it agency.OutboxItem
	return &it, c.do(ctx, http.MethodPost, "/v1/outbox/"+url.PathEscape(id)+"/cancel", nil, &it)
}

// Cases lists the case threads.
func (c *Client) Cases(ctx context.Context) (*CaseList, error) {
	var l CaseList
	return &l, c.do(ctx, http.MethodGet, "/v1/cases", nil, &l)
}

// Case returns one case thread.
func (c *Client) Case(ctx context.Context, id string) (*agency.Thread, error) {
	var t agency.Thread
	return &t, c.do(ctx, http.MethodGet, "/v1/cases/"+url.PathEscape(id), nil, &t)
}

// PublishContact sends the agency's contact card to every member.
func (c *Client) PublishContact(ctx context.Context, card []byte) (*agency.SendResult, error) {
	var res agency.SendResult
	return &res, c.do(ctx, http.MethodPost, "/v1/contacts", bytes.NewReader(card), &res)
}

// Contacts lists the contact directory.
func (c *Client) Contacts(ctx context.Context, q agency.ContactQuery) (*ContactList, error) {
	v := url.Values{}
	set(v, "country", q.Country)
	set(v, "role", string(q.Role))
	var l ContactList
	return &l, c.do(ctx, http.MethodGet, "/v1/contacts"+encode(v), nil, &l)
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (*agency.Status, error) {
	var s agency.Status
	return &s, c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
}

// AuditSnapshot copies a consistent snapshot of the node's audit log to w.
// It fails if the copy is incomplete.
func (c *Client) AuditSnapshot(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := c.request(ctx, http.MethodGet, "/v1/audit/snapshot", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("audit snapshot: %w", err)
	}
	want, err := strconv.ParseInt(resp.Trailer.Get(SnapshotBytesTrailer), 10, 64)
	if err != nil || want != n {
		return n, fmt.Errorf("audit snapshot: incomplete (%d bytes received, the node wrote %q)", n, resp.Trailer.Get(SnapshotBytesTrailer))
	}
	return n, nil
}

func set(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func setBool(v url.Values, k string, b bool) {
	if b {
		v.Set(k, "true")
	}
}

func setUint(v url.Values, k string, n uint64) {
	if n > 0 {
		v.Set(k, strconv.FormatUint(n, 10))
	}
}

func encode(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Attachments returns the attachments of message id with their progress.
func (c *Client) Attachments(ctx context.Context, id string) ([]agency.Attachment, error) {
	var as []agency.Attachment
	return as, c.do(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id)+"/attachments", nil, &as)
}

// Attachment writes the plaintext of attachment name of message id to w
// and checks it: its size and SHA-256 against the manifest, and the node's
// own check of the whole. On error, what was written must be discarded.
func (c *Client) Attachment(ctx context.Context, id, name string, w io.Writer) (int64, error) {
	resp, err := c.request(ctx, http.MethodGet, "/v1/messages/"+url.PathEscape(id)+"/attachments/"+url.PathEscape(name), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), resp.Body)
	if err != nil {
		return n, fmt.Errorf("attachment %s: %w", name, err)
	}
	if chk := resp.Trailer.Get(AttachmentCheckTrailer); chk != "ok" {
		why := "the node did not finish checking it"
		if r, ok := strings.CutPrefix(chk, checkFailed); ok {
			why = "it failed the node's check: " + strings.TrimPrefix(r, "attachment "+name+": ")
		}
		return n, &hint.Error{Msg: fmt.Sprintf("attachment %s: %s (%d bytes received, to discard)", name, why, n),
			Fix: "nothing was kept; if the check failed, the node's copy of the file is damaged or was changed on its disk: restore the node's directory from a backup, or ask the sender to send the file again"}
	}
	if want := resp.Header.Get(AttachmentSHA256Header); hex.EncodeToString(h.Sum(nil)) != want || strconv.FormatInt(n, 10) != resp.Header.Get(AttachmentSizeHeader) {
		return n, fmt.Errorf("attachment %s: %d bytes received do not match its manifest (SHA-256 %s)", name, n, want)
	}
	return n, nil
}
