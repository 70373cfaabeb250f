package auditor_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/node/auditlog/evidence"
	"github.com/casenode/casenode/node/console/auditor"
	"github.com/casenode/casenode/node/console/browsertest"
)

// client is a browser without JavaScript: a cookie jar that does not
// follow redirects.
func client(t *testing.T) *http.Client { t.Helper(); return browsertest.Client(t) }

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	return browsertest.Get(t, c, u)
}

func post(t *testing.T, c *http.Client, u string, v url.Values) (*http.Response, string) {
	t.Helper()
	return browsertest.Post(t, c, u, v)
}

func csrfOf(t *testing.T, body string) string { t.Helper(); return browsertest.CSRF(t, body) }

// start opens a session with a fresh start address.
func start(t *testing.T, srv *auditor.Server) *http.Client {
	t.Helper()
	c := client(t)
	resp, _ := get(t, c, srv.StartURL())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("start: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

// csrfFor returns the session's CSRF token from the log's page.
func csrfFor(t *testing.T, c *http.Client, base, log string) string {
	t.Helper()
	_, page := get(t, c, base+"logs/"+log)
	return csrfOf(t, page)
}

// verify starts a verification of log and waits for its result page.
func verify(t *testing.T, c *http.Client, base, log string, form url.Values) string {
	t.Helper()
	_, page := get(t, c, base+"logs/"+log)
	form.Set("csrf", csrfOf(t, page))
	resp, _ := post(t, c, base+"logs/"+log+"/verify", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST verify: %d", resp.StatusCode)
	}
	var body string
	poll.Until(t, time.Minute, "the verification's result", func() bool {
		_, body = get(t, c, base+"logs/"+log+"/verify")
		return !strings.Contains(body, `data-state="running"`)
	})
	return body
}

var entryRE = regexp.MustCompile(`<li id="r(\d+)" data-index="\d+" data-type="([a-z]+)"`)

// entries returns the indexes and types of the timeline page's entries.
func entries(body string) (idx []int64, types []string) {
	for _, m := range entryRE.FindAllStringSubmatch(body, -1) {
		i, _ := strconv.ParseInt(m[1], 10, 64)
		idx, types = append(idx, i), append(types, m[2])
	}
	return idx, types
}

// TestAccess: nothing without a session, the start token works once,
// requests for another host are refused (DNS rebinding), a POST needs its
// CSRF token, and every response has the security headers.
func TestAccess(t *testing.T) {
	s := snaps(t)
	srv, base := serve(t, s.dakarLog, s.accraLog)
	anon := client(t)
	for _, p := range []string{"", "logs/" + dakar + ".db", "logs/" + dakar + ".db/timeline", "logs/" + dakar + ".db/records/0/proof", "compare", "nowhere"} {
		resp, body := get(t, anon, base+p)
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, dakar) {
			t.Errorf("GET /%s without a session: %d, body %.200q", p, resp.StatusCode, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("GET /%s: CSP %q", p, csp)
		}
	}
	if resp, _ := get(t, anon, base+"start?token=forged"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("start with a forged token: %d", resp.StatusCode)
	}
	u := srv.StartURL()
	c := client(t)
	if resp, _ := get(t, c, u); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	if resp, _ := get(t, client(t), u); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the start address used a second time: %d", resp.StatusCode)
	}
	resp, body := get(t, c, base)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-log="`+dakar+`.db"`) || !strings.Contains(body, `data-log="`+accra+`.db"`) {
		t.Fatalf("the list of logs: %d %.300s", resp.StatusCode, body)
	}
	ck := resp.Request.Header.Get("Cookie")
	if !strings.Contains(ck, "casenode_session_audit=") {
		t.Errorf("the session cookie: %q", ck)
	}

	// A page of another site whose name resolves to 127.0.0.1 sends its
	// own name as Host: refused, even with the session's cookie.
	port := base[strings.LastIndexByte(base[:len(base)-1], ':')+1 : len(base)-1]
	for host, want := range map[string]int{"rebind.example:" + port: http.StatusMisdirectedRequest, "127.0.0.1:1": http.StatusMisdirectedRequest,
		"localhost:" + port: http.StatusOK, "127.0.0.1:" + port: http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, base, nil)
		req.Host = host
		bu, _ := url.Parse(base)
		for _, ck := range c.Jar.Cookies(bu) {
			req.AddCookie(ck)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}

	// A POST without the session's CSRF token starts nothing.
	resp, _ = post(t, c, base+"logs/"+dakar+".db/verify", url.Values{"csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("verify without the CSRF token: %d", resp.StatusCode)
	}
	if resp, _ := get(t, c, base+"logs/"+dakar+".db/verify"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a verification started without the CSRF token: %d", resp.StatusCode)
	}
}

// TestSessionReadOnly is the auditor's session over HTTP: verification
// passes on a real node's log, the timeline filtered by case shows exactly
// that case's messages, the proofs download as 'casenode audit prove'
// writes them and check; and the files are unchanged, byte for byte.
func TestSessionReadOnly(t *testing.T) {
	s := snaps(t)
	before := hashFiles(t, s.dakarLog, s.accraLog)
	srv, base := serve(t, s.dakarLog, s.accraLog)
	c := start(t, srv)
	log := dakar + ".db"

	body := verify(t, c, base, log, url.Values{})
	if !strings.Contains(body, `data-state="ok"`) || !strings.Contains(body, "Verified: nothing in this log was altered") {
		t.Fatalf("verification of a real node's log: %.2000s", body)
	}
	for _, want := range []string{"casenode/wacap/" + dakar, "signatures of stored messages and receipts", "No earlier checkpoint was given"} {
		if !strings.Contains(body, want) {
			t.Errorf("the result does not say %q", want)
		}
	}

	// The timeline of case A: Dakar's two messages and Accra's reply,
	// nothing else; the filter is case-insensitive like the node's cases.
	wantA := []int64{indexOf(t, s.dakarLog, auditlog.TypeSent, s.sentA[0]), indexOf(t, s.dakarLog, auditlog.TypeSent, s.sentA[1]),
		indexOf(t, s.dakarLog, auditlog.TypeReceived, s.replyA)}
	slices.Sort(wantA)
	for _, c0 := range []string{caseA, strings.ToLower(caseA)} {
		resp, body := get(t, c, base+"logs/"+log+"/timeline?case="+url.QueryEscape(c0))
		idx, types := entries(body)
		if resp.StatusCode != http.StatusOK || !slices.Equal(idx, wantA) {
			t.Errorf("timeline of case %s: %d, records %v (%v), want %v", c0, resp.StatusCode, idx, types, wantA)
		}
	}
	_, body = get(t, c, base+"logs/"+log+"/timeline?case="+url.QueryEscape(caseB)+"&type=sent")
	if idx, _ := entries(body); !slices.Equal(idx, []int64{indexOf(t, s.dakarLog, auditlog.TypeSent, s.sentB)}) {
		t.Errorf("timeline of case B, sent: %v", idx)
	}
	_, body = get(t, c, base+"logs/"+log+"/timeline?type=received&agency="+accra)
	if idx, types := entries(body); len(idx) == 0 || slices.ContainsFunc(types, func(s string) bool { return s != "received" }) {
		t.Errorf("timeline of received from Accra: %v %v", idx, types)
	}
	_, body = get(t, c, base+"logs/"+log+"/timeline?type=received&agency=ng-ag-abuja")
	if idx, _ := entries(body); len(idx) != 0 || !strings.Contains(body, `id="none"`) {
		t.Errorf("timeline of an agency absent from the log: %v", idx)
	}
	// Every record, page after page, once each and in order.
	r, err := auditlog.OpenReader(s.dakarLog, auditlog.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size, _ := r.Size()
	var all []int64
	next := base + "logs/" + log + "/timeline"
	nextRE := regexp.MustCompile(`href="(/logs/[^"]+)" id="next"`)
	for pages := 0; next != ""; pages++ {
		if pages > 100 {
			t.Fatal("the timeline's pages never end")
		}
		_, body := get(t, c, next)
		idx, _ := entries(body)
		if len(idx) > 20 {
			t.Fatalf("a page of %d records", len(idx))
		}
		all = append(all, idx...)
		next = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			next = strings.TrimSuffix(base, "/") + strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if pages := len(all)/20 + 1; pages < 2 {
		t.Errorf("the log fits on one page (%d records): the test does not page", size)
	}
	if int64(len(all)) != size || !slices.IsSorted(all) || all[0] != 0 || all[len(all)-1] != size-1 {
		t.Errorf("paging through the timeline gave %d records of %d: %v", len(all), size, all)
	}

	// By time: from the second record 10 was written in, the records from
	// then on; nothing before 1970 or after 2099.
	rec10, err := r.Record(10)
	if err != nil {
		t.Fatal(err)
	}
	sec := rec10.Time.Truncate(time.Second)
	first := int64(0)
	for ; ; first++ {
		rec, _ := r.Record(first)
		if !rec.Time.Before(sec) {
			break
		}
	}
	_, body = get(t, c, base+"logs/"+log+"/timeline?since="+sec.Format("2006-01-02T15:04:05"))
	if idx, _ := entries(body); len(idx) == 0 || idx[0] != first {
		t.Errorf("the timeline since %s starts at %v, want record %d", sec, idx, first)
	}
	for _, q := range []string{"since=2099-01-01", "until=2000-01-01"} {
		if _, body := get(t, c, base+"logs/"+log+"/timeline?"+q); !strings.Contains(body, `id="none"`) {
			t.Errorf("the timeline %s lists records", q)
		}
	}
	// A record's inclusion proof, expanded and downloaded: the bytes of
	// 'casenode audit prove', and they check.
	i := wantA[0]
	_, body = get(t, c, base+"logs/"+log+"/records/"+strconv.FormatInt(i, 10))
	if !strings.Contains(body, "The proof checks") || !strings.Contains(body, s.sentA[0]) {
		t.Errorf("the record page: %.1500s", body)
	}
	resp, proof := get(t, c, base+"logs/"+log+"/records/"+strconv.FormatInt(i, 10)+"/proof")
	p, err := r.Prove(i)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := auditlog.EncodeProof(p)
	if resp.StatusCode != http.StatusOK || !bytes.Equal([]byte(proof), append(want, '\n')) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("the proof downloaded: %d %q, %d bytes, want %d", resp.StatusCode, resp.Header.Get("Content-Disposition"), len(proof), len(want)+1)
	}
	dp, err := auditlog.DecodeProof(bytes.TrimSuffix([]byte(proof), []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	if _, rec, err := auditlog.CheckProof(dp, nil); err != nil || rec.MessageID != s.sentA[0] {
		t.Errorf("the proof downloaded does not check: %v", err)
	}
	latest, _ := r.Latest()
	if resp, cp := get(t, c, base+"logs/"+log+"/checkpoint"); resp.StatusCode != http.StatusOK || cp != string(latest.Note) {
		t.Errorf("the latest checkpoint downloaded: %d %q", resp.StatusCode, cp)
	}
	// Anchored to Dakar's card, it passes and says so; to Accra's, it is
	// not this card's log.
	body = verify(t, c, base, log, url.Values{"card": {string(s.dakarCard)}, "skip-messages": {"1"}})
	if !strings.Contains(body, `data-state="ok"`) || !strings.Contains(body, "anchored by the member card given") {
		t.Errorf("verification anchored to Dakar's card: %.1500s", body)
	}
	body = verify(t, c, base, log, url.Values{"card": {string(s.accraCard)}, "skip-messages": {"1"}})
	if !strings.Contains(body, `data-state="failed" data-kind="trust" data-index="0"`) || !strings.Contains(body, "a signature by a key not trusted") {
		t.Errorf("verification anchored to Accra's card: %.1500s", body)
	}
	if resp, _ := post(t, c, base+"logs/"+log+"/verify", url.Values{"csrf": {csrfFor(t, c, base, log)}, "card": {"{not a card"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("verification with a card that does not read: %d", resp.StatusCode)
	}
	// Verified again against that checkpoint: the log extends it.
	body = verify(t, c, base, log, url.Values{"checkpoint": {string(latest.Note)}})
	if !strings.Contains(body, "The log holds and extends the checkpoint you gave") {
		t.Errorf("verification against the latest checkpoint: %.1500s", body)
	}
	// The proof of delivery to Accra of a message Dakar sent: the bytes of
	// 'casenode audit prove --delivery', and it checks with the
	// secretariat's key alone.
	resp, got := get(t, c, base+"logs/"+log+"/records/"+strconv.FormatInt(i, 10)+"/delivery?to="+accra)
	d, err := evidence.ProveDelivery(r, s.sentA[0], accra)
	if err != nil {
		t.Fatal(err)
	}
	wantD, _ := evidence.EncodeDelivery(d)
	if resp.StatusCode != http.StatusOK || got != string(wantD)+"\n" {
		t.Fatalf("the delivery proof downloaded: %d, %d bytes, want %d: %.300s", resp.StatusCode, len(got), len(wantD)+1, got)
	}
	dd, err := evidence.DecodeDelivery(wantD)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.CheckDelivery(dd, s.secretariat); err != nil {
		t.Errorf("the delivery proof downloaded does not check: %v", err)
	}
	received := strconv.FormatInt(indexOf(t, s.dakarLog, auditlog.TypeReceived, s.replyA), 10)
	if resp, _ := get(t, c, base+"logs/"+log+"/records/"+received+"/delivery"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the delivery proof of a received message: %d", resp.StatusCode)
	}
	// The two logs compared: they agree, and the message is in both.
	_, body = get(t, c, base+"compare?a="+log+"&b="+accra+".db&message="+s.sentA[0])
	if !strings.Contains(body, `data-worst="" data-issues="0"`) || !strings.Contains(body, `<tr data-message="`+s.sentA[0]+`">`) || strings.Count(body, "<tr data-message=") != 1 {
		t.Errorf("the comparison of the two logs: %.3000s", body)
	}
	// The other log, and the pages a session visits.
	for _, p := range []string{"", "logs/" + accra + ".db", "logs/" + accra + ".db/timeline?type=key", "compare?a=" + log + "&b=" + accra + ".db"} {
		if resp, body := get(t, c, base+p); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /%s: %d %.300s", p, resp.StatusCode, body)
		}
	}
	verify(t, c, base, accra+".db", url.Values{"skip-messages": {"1"}})
	r.Close()
	srv.Close()
	if after := hashFiles(t, s.dakarLog, s.accraLog); !mapsEqual(before, after) {
		t.Errorf("the console changed the files it served: before %x, after %x", before, after)
	}
}

func mapsEqual(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTamperedCopy: a copy with one byte of a record's payload changed
// fails verification at that record, and the page says so in words; a
// copy with a sent record removed disagrees with the receiver's log.
func TestTamperedCopy(t *testing.T) {
	s := snaps(t)
	tampered := copyLog(t, s.dakarLog, "tampered.db")
	i := indexOf(t, tampered, auditlog.TypeSent, s.sentA[1])
	flipPayload(t, tampered, i)
	hidden := copyLog(t, s.dakarLog, "hidden.db")
	deleteRecord(t, hidden, indexOf(t, hidden, auditlog.TypeSent, s.sentB))
	srv, base := serve(t, tampered, hidden, s.accraLog)
	c := start(t, srv)
	body := verify(t, c, base, "tampered.db", url.Values{})
	want := `data-state="failed" data-kind="integrity" data-index="` + strconv.FormatInt(i, 10) + `" data-at-checkpoint="false"`
	if !strings.Contains(body, want) {
		t.Fatalf("verification of the tampered copy: want %s in %.3000s", want, body)
	}
	for _, w := range []string{"Verification failed: the file is not what the node wrote", "record " + strconv.FormatInt(i, 10), "payload SHA-256",
		"Keep this file as evidence", "records before it passed every check"} {
		if !strings.Contains(body, w) {
			t.Errorf("the failure does not say %q", w)
		}
	}
	// A copy with a sent record removed, against Accra's log: Accra
	// received a message Dakar's log never sent.
	_, body = get(t, c, base+"compare?a=hidden.db&b="+accra+".db")
	if !strings.Contains(body, `data-worst="received_not_sent" data-issues="1"`) || !strings.Contains(body, `<tr data-kind="received_not_sent" data-message="`+s.sentB+`">`) ||
		!strings.Contains(body, "1 finding; the most serious: received but never sent") {
		t.Errorf("the comparison of a copy with a sent record removed with Accra's log: %s", body[strings.Index(body, `<section id="diff"`):])
	}
}

// TestTimelineQueryRefused: a filter the timeline cannot read is refused
// with the parameter named, and nothing is listed.
func TestTimelineQueryRefused(t *testing.T) {
	s := snaps(t)
	srv, base := serve(t, s.dakarLog)
	c := start(t, srv)
	for q, param := range map[string]string{"case=a%20b": "case", "type=sent&type=bogus": "type", "since=yesterday": "since",
		"start=-1": "start", "start=01": "start", "colour=red": "colour", "case=a&case=b": "case", "since=2026-12-06&until=2026-12-05": "until",
		"agency=" + strings.Repeat("a", 2000): "query"} {
		resp, body := get(t, c, base+"logs/"+dakar+".db/timeline?"+q)
		if idx, _ := entries(body); resp.StatusCode != http.StatusBadRequest || len(idx) != 0 || !strings.Contains(body, "The filter "+param+" is not valid") {
			t.Errorf("timeline?%.40s: %d, %d records, body %.200q", q, resp.StatusCode, len(idx), body)
		}
	}
}

// TestFileChangedUnderneath: a log file overwritten while the console has
// it open makes its verification fail, not the console stop (bbolt panics
// on pages changed under it).
func TestFileChangedUnderneath(t *testing.T) {
	s := snaps(t)
	path := copyLog(t, s.dakarLog, "changing.db")
	srv, base := serve(t, path, s.accraLog)
	c := start(t, srv)
	// The file's pages after its two meta pages, overwritten in place.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0x5a}, int(fi.Size())-8192), 8192); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if resp, _ := get(t, c, base+"logs/changing.db/timeline"); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("the timeline of a file overwritten under the console: %d", resp.StatusCode)
	}
	resp, _ := post(t, c, base+"logs/changing.db/verify", url.Values{"csrf": {csrfFor(t, c, base, accra+".db")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST verify: %d", resp.StatusCode)
	}
	var body string
	poll.Until(t, time.Minute, "the verification's result", func() bool {
		_, body = get(t, c, base+"logs/changing.db/verify")
		return !strings.Contains(body, `data-state="running"`)
	})
	if !strings.Contains(body, `data-state="error"`) && !strings.Contains(body, `data-state="failed"`) {
		t.Errorf("a file overwritten under the console: %.1000s", body)
	}
	if resp, body := get(t, c, base+"logs/"+accra+".db"); resp.StatusCode != http.StatusOK {
		t.Errorf("the console after a file changed under it: %d %.300s", resp.StatusCode, body)
	}
}
