package auditor_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/auditlog"
	bt "github.com/casenode/casenode/node/console/browsertest"
	"github.com/chromedp/chromedp"
)

// TestBrowserAudit is the auditor's session in Chromium: the auditor opens
// the address the console printed, verifies a snapshot of a real node's
// log and reads that it passed, filters the timeline by case and sees
// exactly that case's messages, expands one with the keyboard to its
// inclusion proof, verifies a tampered copy and reads where it fails and
// what that means, in English and in French; every page passes the
// accessibility checks and weighs under 100 KB; the files are unchanged.
func TestBrowserAudit(t *testing.T) {
	s := snaps(t)
	tampered := copyLog(t, s.dakarLog, "sn-pj-dakar-copy.db")
	bad := indexOf(t, tampered, auditlog.TypeSent, s.sentA[1])
	flipPayload(t, tampered, bad)
	files := []string{s.dakarLog, s.accraLog, tampered}
	before := hashFiles(t, files...)
	srv, base := serve(t, files...)
	browser := bt.New(t)
	tab := bt.Tab(t, browser, "en-GB,en;q=0.9")
	log := dakar + ".db"

	bt.Do(t, tab, chromedp.Navigate(srv.StartURL()), chromedp.WaitVisible("#logs"))
	if n := bt.Eval[int](t, tab, `document.querySelectorAll('#logs tbody tr').length`); n != 3 {
		t.Errorf("the list shows %d logs, want 3", n)
	}
	bt.Measure(t, tab, "logs")
	bt.CheckAccessible(t, tab, "logs")
	bt.Shot(t, tab, "audit-logs")

	bt.Do(t, tab, chromedp.Click(fmt.Sprintf(`a[href="/logs/%s"]`, log)), chromedp.WaitVisible("#verify"))
	bt.Measure(t, tab, "log")
	bt.CheckAccessible(t, tab, "log")
	bt.Shot(t, tab, "audit-log")
	// Verify with the keyboard: the button focused, Enter.
	bt.Do(t, tab, chromedp.Focus("#verify"), chromedp.KeyEvent("\r"))
	state := waitResult(t, tab)
	if state != "ok" {
		t.Fatalf("verification of the real log: %s: %s", state, bt.Eval[string](t, tab, `document.querySelector('main').innerText`))
	}
	if h := bt.Eval[string](t, tab, `document.querySelector('#result h2').textContent`); h != "Verified: nothing in this log was altered" {
		t.Errorf("the result reads %q", h)
	}
	bt.Measure(t, tab, "verify")
	bt.CheckAccessible(t, tab, "verify")
	bt.Shot(t, tab, "audit-verify-ok")

	// The timeline, filtered by case A from the form.
	bt.Do(t, tab, chromedp.Navigate(base+"logs/"+log+"/timeline"), chromedp.WaitVisible("#f-case"),
		chromedp.SendKeys("#f-case", caseA), chromedp.Click("#filter"))
	poll.Until(t, 30*time.Second, "the filtered timeline", func() bool {
		return bt.Eval[bool](t, tab, `location.search.includes('case=') && document.readyState === 'complete' && !!document.querySelector('#scanned')`)
	})
	want := []int64{indexOf(t, s.dakarLog, auditlog.TypeSent, s.sentA[0]), indexOf(t, s.dakarLog, auditlog.TypeSent, s.sentA[1]),
		indexOf(t, s.dakarLog, auditlog.TypeReceived, s.replyA)}
	slices.Sort(want)
	got := bt.Eval[[]int64](t, tab, `[...document.querySelectorAll('#entries > li')].map(e => Number(e.dataset.index))`)
	if !slices.Equal(got, want) {
		t.Errorf("the timeline of case %s shows records %v, want %v", caseA, got, want)
	}
	if cases := bt.Eval[[]string](t, tab, `[...document.querySelectorAll('#entries dd.case')].map(e => e.textContent)`); len(cases) != 3 || slices.ContainsFunc(cases, func(c string) bool { return c != caseA }) {
		t.Errorf("the entries' cases: %v", cases)
	}
	// The first entry, expanded with the keyboard, shows its proof.
	bt.Do(t, tab, chromedp.Focus("#entries > li:first-child summary"), chromedp.KeyEvent("\r"))
	poll.Until(t, 10*time.Second, "the entry expanded", func() bool {
		return bt.Eval[bool](t, tab, `document.querySelector('#entries > li:first-child details').open`)
	})
	if p := bt.Eval[string](t, tab, `document.querySelector('#entries > li:first-child p.ok').textContent`); !strings.HasPrefix(p, "The proof checks") {
		t.Errorf("the expanded entry's proof: %q", p)
	}
	bt.Measure(t, tab, "timeline")
	bt.CheckAccessible(t, tab, "timeline")
	bt.Do(t, tab, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
	bt.ShotTop(t, tab, "audit-timeline")
	// From the message sent, the two logs side by side: they agree.
	bt.Do(t, tab, chromedp.Click("#entries > li:first-child a.compare-link"), chromedp.WaitVisible("#diff"))
	if w := bt.Eval[string](t, tab, `document.querySelector('#diff').dataset.worst + '/' + document.querySelector('#diff').dataset.issues`); w != "/0" {
		t.Errorf("Dakar's and Accra's logs compared: worst/issues %s", w)
	}
	if rows := bt.Eval[[]string](t, tab, `[...document.querySelectorAll('#paired tbody tr')].map(e => e.dataset.message)`); !slices.Equal(rows, []string{s.sentA[0]}) {
		t.Errorf("the comparison opened from message %s lists %v", s.sentA[0], rows)
	}
	bt.Measure(t, tab, "compare")
	bt.CheckAccessible(t, tab, "compare")
	bt.Shot(t, tab, "audit-compare")
	// The whole timeline's first page: the heaviest page there is.
	bt.Do(t, tab, chromedp.Navigate(base+"logs/"+log+"/timeline"), chromedp.WaitVisible("#next"))
	bt.Measure(t, tab, "timeline-full")

	// The tampered copy fails at the record changed.
	bt.Do(t, tab, chromedp.Navigate(base+"logs/sn-pj-dakar-copy.db"), chromedp.WaitVisible("#verify"), chromedp.Click("#verify"))
	if state := waitResult(t, tab); state != "failed" {
		t.Fatalf("verification of the tampered copy: %s", state)
	}
	if i := bt.Eval[string](t, tab, `document.querySelector('#result').dataset.index`); i != fmt.Sprint(bad) {
		t.Errorf("the tampered copy fails at record %s, want %d", i, bad)
	}
	text := bt.Eval[string](t, tab, `document.querySelector('#result').innerText`)
	for _, w := range []string{"the file is not what the node wrote", fmt.Sprintf("record %d", bad), "payload SHA-256", "What it means", "Keep this file as evidence"} {
		if !strings.Contains(text, w) {
			t.Errorf("the failure does not say %q: %s", w, text)
		}
	}
	bt.CheckAccessible(t, tab, "verify-failed")
	bt.Shot(t, tab, "audit-verify-failed")
	// In French, from the language switch.
	bt.Do(t, tab, chromedp.SetValue("#lang-pick", "fr"), chromedp.Click(`form[action="/settings/language"] button`))
	poll.Until(t, 30*time.Second, "the console in French", func() bool {
		return bt.Eval[string](t, tab, `document.documentElement ? document.documentElement.lang : ""`) == "fr"
	})
	if h := bt.Eval[string](t, tab, `document.querySelector('#result h2').textContent`); h != "Échec de la vérification : le fichier n'est pas celui que le nœud a écrit" {
		t.Errorf("the failure in French reads %q", h)
	}
	bt.CheckAccessible(t, tab, "verify-failed-fr")
	bt.Shot(t, tab, "audit-verify-failed-fr")

	bt.Do(t, tab, chromedp.Navigate(base+"compare?a="+log+"&b="+accra+".db"), chromedp.WaitVisible("#diff"))
	bt.Measure(t, tab, "compare-all")
	bt.CheckAccessible(t, tab, "compare-all")

	srv.Close()
	if after := hashFiles(t, files...); !mapsEqual(before, after) {
		t.Errorf("the session changed the files it served")
	}
}

// waitResult waits for the verification page to show a result (it
// reloads itself meanwhile) and returns its state.
func waitResult(t *testing.T, tab context.Context) string {
	t.Helper()
	var state string
	poll.Until(t, time.Minute, "the verification's result", func() bool {
		state = bt.Eval[string](t, tab, `(() => { const r = document.querySelector('#result'); return r ? r.dataset.state : ''; })()`)
		return state != "" && state != "running"
	})
	return state
}
