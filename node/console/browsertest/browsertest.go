// Package browsertest drives Debian's headless Chromium through chromedp
// for the consoles' browser tests: a browser, tabs with their own cookies
// and language, steps with a deadline, page weights, screenshots for the
// documentation (make screenshots) and the accessibility checks every page
// must pass; and the browser without JavaScript of their HTTP tests
// (http.go). Only tests import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browserNames are the names Debian and others give Chromium.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome"}

// New starts a headless Chromium for the test. A missing browser fails the
// test with the fix: the browser tests are never skipped.
func New(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("the consoles' browser tests need Chromium, and none is on the PATH: run 'apt-get install -y chromium' (make test does it when run as root)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return bctx
}

// Tab opens a tab of its own browser context (its own cookies), whose
// requests say the browser prefers lang.
func Tab(t *testing.T, browser context.Context, lang string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// Do runs steps with a deadline of a minute.
func Do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("at %s: %v", loc, err)
	}
}

// Eval evaluates js in the tab.
func Eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

// Weight is what a page cost: its HTML and everything it loaded.
type Weight struct {
	HTML     int      `json:"html"`
	Total    int      `json:"total"`
	External []string `json:"external"`
}

// weightJS sums the decoded (uncompressed, uncached) sizes of the page and
// its resources, and lists any resource from another origin.
const weightJS = `(() => { const n = performance.getEntriesByType('navigation')[0]; const rs = performance.getEntriesByType('resource');
return {html: n.decodedBodySize, total: n.decodedBodySize + rs.reduce((a, r) => a + r.decodedBodySize, 0),
external: rs.filter(r => !r.name.startsWith(location.origin)).map(r => r.name)}; })()`

// Measure checks a page's weight against the quality bar (under 100 KB,
// nothing from elsewhere) and logs it.
func Measure(t *testing.T, ctx context.Context, name string) Weight {
	t.Helper()
	w := Eval[Weight](t, ctx, weightJS)
	t.Logf("page weight %-10s html %6d B, with assets %6d B", name, w.HTML, w.Total)
	if w.Total >= 100<<10 {
		t.Errorf("page %s weighs %d bytes, over 100 KB", name, w.Total)
	}
	if len(w.External) > 0 {
		t.Errorf("page %s loads from elsewhere: %v", name, w.External)
	}
	return w
}

// Shot writes a PNG of the whole page to $CASENODE_SCREENSHOTS/name.png
// when that is set (make screenshots).
func Shot(t *testing.T, ctx context.Context, name string) {
	shotOf(t, ctx, name, chromedp.FullScreenshot(100))
}

// ShotTop writes a PNG of what the window shows, for a long page.
func ShotTop(t *testing.T, ctx context.Context, name string) {
	shotOf(t, ctx, name, chromedp.CaptureScreenshot())
}

func shotOf(t *testing.T, ctx context.Context, name string, a chromedp.Action[[]byte]) {
	t.Helper()
	dir := os.Getenv("CASENODE_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// contrastJS returns the text elements whose contrast with their
// background is under WCAG AA's 4.5:1 (3:1 for large text), computed from
// the styles the browser applied; form controls' own text included.
const contrastJS = `(() => {
const rgb = s => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
const bad = [];
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '') || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(el.tagName);
  if (!own || el.offsetParent === null && el.tagName !== 'BODY') continue;
  const st = getComputedStyle(el); const fg = rgb(st.color); const b = bg(el);
  const l1 = lum(fg), l2 = lum(b); const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const size = parseFloat(st.fontSize); const large = size >= 24 || size >= 18.66 && parseInt(st.fontWeight) >= 700;
  if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName + '.' + el.className + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '" ' + ratio.toFixed(2));
}
return bad; })()`

// CheckAccessible checks the page the tab shows: sufficient contrast of
// every text, a label for every form control, and a visible outline on
// the element the keyboard focuses.
func CheckAccessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	for _, b := range Eval[[]string](t, ctx, contrastJS) {
		t.Errorf("%s: low contrast: %s", page, b)
	}
	unlabelled := Eval[[]string](t, ctx, `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name || e.id)`)
	for _, u := range unlabelled {
		t.Errorf("%s: the control %q has no label", page, u)
	}
	Do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	focus := Eval[string](t, ctx, `(() => { const e = document.activeElement; const s = getComputedStyle(e); return e.tagName + ' ' + s.outlineStyle + ' ' + s.outlineWidth; })()`)
	if focus == "" || strings.HasSuffix(focus, " 0px") || strings.Contains(focus, " none ") {
		t.Errorf("%s: the focused element shows no outline: %s", page, focus)
	}
}
